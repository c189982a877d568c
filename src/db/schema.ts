import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    username: text('username').notNull(),
    passwordHash: text('password_hash').notNull(),
    isActive: boolean('is_active').notNull().default(true),
    isStaff: boolean('is_staff').notNull().default(false),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    /**
     * When the address was confirmed through an emailed link; null while it waits for that
     * (EMAIL_VERIFICATION). Accounts made while verification is off, by an invitation or by
     * `createsuperuser`, are set at creation (decision 0027).
     */
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    // Emails are unique whatever their case: Bob@x and bob@x are one mailbox in practice.
    uniqueIndex('users_email_lower_key').on(sql`lower(${table.email})`),
    uniqueIndex('users_username_key').on(table.username),
  ],
);

/** Server-side sessions; the cookie holds a random token, the table only its SHA-256. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfSecret: text('csrf_secret').notNull(),
    userAgent: text('user_agent'),
    ip: text('ip'),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('sessions_token_hash_key').on(table.tokenHash),
    index('sessions_user_id_idx').on(table.userId),
    index('sessions_expires_at_idx').on(table.expiresAt),
  ],
);

export const passwordResetTokens = pgTable(
  'password_reset_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('password_reset_tokens_token_hash_key').on(table.tokenHash),
    index('password_reset_tokens_user_id_idx').on(table.userId),
  ],
);

/**
 * Invitations to sign up (decision 0027): made by staff for one address, used once, expiring.
 * The token is minted by the email job, so the queue never carries it; until then it is null.
 */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    tokenHash: text('token_hash'),
    /** The staff member who made it; null from `hoplink invite` or once they are deleted. */
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    /** The account it made; null once that account is deleted (used_at still says it was used). */
    usedBy: uuid('used_by').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('invitations_token_hash_key').on(table.tokenHash),
    index('invitations_email_idx').on(sql`lower(${table.email})`),
    index('invitations_created_at_idx').on(table.createdAt),
  ],
);

/** Links that confirm an account's address: hashed, single-use, for the address they went to. */
export const emailVerificationTokens = pgTable(
  'email_verification_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The address the link was sent to: it confirms that one only, not a later change. */
    email: text('email').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('email_verification_tokens_token_hash_key').on(table.tokenHash),
    index('email_verification_tokens_user_id_idx').on(table.userId),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The first characters of the token, shown in lists so people can tell tokens apart. */
    prefix: text('prefix').notNull(),
    tokenHash: text('token_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('api_tokens_token_hash_key').on(table.tokenHash),
    index('api_tokens_user_id_idx').on(table.userId),
  ],
);

export const links = pgTable(
  'links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Case-sensitive base62 (generated) or a custom alias. */
    code: text('code').notNull(),
    /** Optional personal slug, reachable at /<username>/<slug>. */
    slug: text('slug'),
    targetUrl: text('target_url').notNull(),
    title: text('title'),
    redirectStatus: smallint('redirect_status').notNull().default(302),
    disabled: boolean('disabled').notNull().default(false),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('links_code_key').on(table.code),
    uniqueIndex('links_owner_slug_key').on(table.ownerId, table.slug),
    index('links_owner_created_idx').on(table.ownerId, table.createdAt, table.id),
  ],
);

export const clicks = pgTable(
  'clicks',
  {
    /** Made by the redirect process; the key, so a redelivered batch inserts nothing twice. */
    eventId: uuid('event_id').primaryKey(),
    /**
     * No foreign key, on purpose (migration 0003_click_ingest, decision 0014): its per-row check
     * was a sixth of the insert's cost. The insert locks the batch's links instead, and the
     * `links_delete_clicks` trigger deletes a link's clicks with it, as the cascade did.
     */
    linkId: uuid('link_id').notNull(),
    clickedAt: timestamp('clicked_at', { withTimezone: true }).notNull(),
    referrer: text('referrer'),
    referrerHost: text('referrer_host'),
    browser: text('browser'),
    os: text('os'),
    device: text('device'),
    isBot: boolean('is_bot').notNull().default(false),
    ip: text('ip'),
    visitorHash: text('visitor_hash'),
  },
  (table) => [index('clicks_link_time_idx').on(table.linkId, table.clickedAt)],
);

/*
 * Daily rollups of `clicks`, so a link's stats read a few rows per day instead of every click.
 * Drizzle does not model triggers: the statement trigger `clicks_roll_up` (migration
 * 0002_click_rollups_trigger) keeps these tables in step with each insert into `clicks`, in the
 * same statement, counting only rows actually inserted. Days are UTC days.
 */

/** One link's clicks on one UTC day: humans, bots, and human visitors (distinct hashes). */
export const clickDaily = pgTable(
  'click_daily',
  {
    linkId: uuid('link_id')
      .notNull()
      .references(() => links.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    clicks: integer('clicks').notNull().default(0),
    bots: integer('bots').notNull().default(0),
    visitors: integer('visitors').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.linkId, table.day] })],
);

/** Human clicks per value of one click attribute, per link and UTC day; null is a value too. */
export const clickDailyValues = pgTable(
  'click_daily_values',
  {
    linkId: uuid('link_id')
      .notNull()
      .references(() => links.id, { onDelete: 'cascade' }),
    /** The `clicks` column counted: referrer_host, browser, os or device. */
    dimension: text('dimension').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    value: text('value'),
    clicks: integer('clicks').notNull().default(0),
  },
  (table) => [
    // NULLS NOT DISTINCT (PostgreSQL 15+): "no referrer" is one row per day, and upserts find it.
    unique('click_daily_values_key')
      .on(table.linkId, table.dimension, table.day, table.value)
      .nullsNotDistinct(),
    check(
      'click_daily_values_dimension_check',
      sql`${table.dimension} in ('referrer_host', 'browser', 'os', 'device')`,
    ),
  ],
);

/**
 * The human visitor hashes seen per link and UTC day: a click whose hash is new here adds a
 * visitor to `click_daily`. Hashes are salted per day, so per-day sums are exact over any window.
 */
export const clickDailyVisitors = pgTable(
  'click_daily_visitors',
  {
    linkId: uuid('link_id')
      .notNull()
      .references(() => links.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    visitorHash: text('visitor_hash').notNull(),
  },
  (table) => [primaryKey({ columns: [table.linkId, table.day, table.visitorHash] })],
);
