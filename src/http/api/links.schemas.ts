import { z } from 'zod';
import type { LinkStats } from '#src/modules/analytics/index.ts';
import { STATS_DEFAULT_DAYS, STATS_MAX_DAYS } from '#src/modules/analytics/index.ts';
import {
  ALIAS_PATTERN,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  REDIRECT_STATUSES,
  SLUG_PATTERN,
  TARGET_URL_MAX_LENGTH,
  TITLE_MAX_LENGTH,
  shortUrl,
  type Link,
} from '#src/modules/links/index.ts';

/*
 * The links resource's schemas, declared once: Fastify validates requests and serializes
 * replies with them, and openapi.ts publishes them. Request bodies and query strings are strict
 * (an unknown field is a 400, so a typo is not silently ignored); the links service still
 * applies every rule of SPEC §6 (scheme, own host, reserved words, uniqueness).
 */

const timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC.' });

const url = z
  .string()
  .max(TARGET_URL_MAX_LENGTH, `The URL must be at most ${TARGET_URL_MAX_LENGTH} characters.`)
  .meta({
    format: 'uri',
    description: 'The target: http or https, no credentials, not this service; normalised.',
  });
const code = z
  .string()
  .regex(ALIAS_PATTERN, 'The alias must be 3 to 64 characters: letters, digits, - and _.')
  .meta({ description: 'A custom alias (case-sensitive); generated (7 characters) when absent.' });
const slug = z
  .string()
  .regex(SLUG_PATTERN, 'The slug must be 1 to 64 characters: lowercase letters, digits, - and _.')
  .meta({ description: 'A personal slug, reachable at /<username>/<slug>; unique per owner.' });
const title = z
  .string()
  .max(TITLE_MAX_LENGTH, `The title must be at most ${TITLE_MAX_LENGTH} characters.`);
const redirectStatus = z
  .literal(REDIRECT_STATUSES, {
    error: `The redirect status must be ${REDIRECT_STATUSES.join(', ')}.`,
  })
  .meta({ description: 'HTTP status of the redirect; REDIRECT_STATUS when absent.' });

export const NewLinkBody = z
  .strictObject({
    url,
    code: code.nullish(),
    slug: slug.nullish(),
    title: title.nullish(),
    redirectStatus: redirectStatus.nullish(),
  })
  .meta({ id: 'NewLink', description: 'A link to create. Unknown fields are refused (400).' });

export const LinkPatchBody = z
  .strictObject({
    url: url.optional(),
    code: code.optional(),
    slug: slug.nullish(),
    title: title.nullish(),
    redirectStatus: redirectStatus.optional(),
    disabled: z.boolean().optional().meta({ description: 'A disabled link answers 404.' }),
  })
  .meta({
    id: 'LinkPatch',
    description:
      'Changes to a link: absent fields stay as they are; null clears slug and title. Unknown fields are refused (400).',
  });

export const LinkParams = z.strictObject({
  id: z.string().meta({ format: 'uuid', description: 'The link id.' }),
});

export const LinkListQuery = z.strictObject({
  cursor: z
    .string()
    .optional()
    .meta({ description: 'The `nextCursor` of the previous page; absent for the first.' }),
  limit: z.coerce
    .number()
    .int(`The limit must be a whole number from 1 to ${LIST_MAX_LIMIT}.`)
    .min(1, `The limit must be a whole number from 1 to ${LIST_MAX_LIMIT}.`)
    .max(LIST_MAX_LIMIT, `The limit must be a whole number from 1 to ${LIST_MAX_LIMIT}.`)
    .default(LIST_DEFAULT_LIMIT),
  q: z
    .string()
    .max(200, 'Search for at most 200 characters.')
    .optional()
    .meta({ description: 'Case-insensitive text searched in title, code and URL.' }),
});

export const StatsQuery = z.strictObject({
  days: z.coerce
    .number()
    .int(`Days must be a whole number from 1 to ${STATS_MAX_DAYS}.`)
    .min(1, `Days must be a whole number from 1 to ${STATS_MAX_DAYS}.`)
    .max(STATS_MAX_DAYS, `Days must be a whole number from 1 to ${STATS_MAX_DAYS}.`)
    .default(STATS_DEFAULT_DAYS)
    .meta({ description: 'The window: the last N UTC days, today included.' }),
});

/** The contract's link (SPEC §3): exactly these fields, whatever the service's Link holds. */
export const LinkSchema = z
  .object({
    id: z.string().meta({ format: 'uuid' }),
    code: z.string(),
    slug: z.string().nullable(),
    url: z.string().meta({ format: 'uri' }),
    title: z.string().nullable(),
    shortUrl: z.string().meta({ format: 'uri', description: 'On SITE_URL.' }),
    redirectStatus: z.literal(REDIRECT_STATUSES),
    disabled: z.boolean(),
    createdAt: timestamp,
  })
  .meta({ id: 'Link' });

export const LinkListSchema = z
  .object({
    items: z.array(LinkSchema),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'LinkList', description: 'Newest first.' });

const counted = z.array(
  z.object({
    value: z.string().nullable().meta({ description: 'null groups clicks without a value.' }),
    clicks: z.number().int(),
  }),
);

export const LinkStatsSchema = z
  .object({
    days: z.number().int(),
    since: timestamp,
    clicks: z.number().int().meta({ description: 'Human clicks in the window.' }),
    uniqueVisitors: z.number().int().meta({ description: 'Counted per day.' }),
    bots: z.number().int(),
    daily: z.array(
      z.object({ date: z.string().meta({ format: 'date' }), clicks: z.number().int() }),
    ),
    referrers: counted,
    browsers: counted,
    os: counted,
    devices: counted,
    recent: z.array(
      z.object({
        clickedAt: timestamp,
        referrerHost: z.string().nullable(),
        browser: z.string().nullable(),
        os: z.string().nullable(),
        device: z.string().nullable(),
        isBot: z.boolean(),
      }),
    ),
    recentSince: timestamp.nullable().meta({
      description:
        'Individual clicks (`recent`) are kept from this moment on (CLICK_RETENTION_DAYS); null when they are kept forever. The counts come from daily totals, which are always kept.',
    }),
  })
  .meta({
    id: 'LinkStats',
    description: 'Bots are left out of every count but `bots`; `recent` shows them flagged.',
  });

export type ApiLink = z.input<typeof LinkSchema>;

/**
 * A service link in the contract's names. The rest of the row rides along on purpose: the
 * response schema, not this function, decides what leaves (and strips `ownerId`).
 */
export function presentLink(link: Link, siteUrl: string): ApiLink {
  return {
    ...link,
    url: link.targetUrl,
    shortUrl: shortUrl(siteUrl, link.code),
    createdAt: link.createdAt.toISOString(),
  };
}

export function presentStats(stats: LinkStats): z.input<typeof LinkStatsSchema> {
  return {
    ...stats,
    since: stats.since.toISOString(),
    daily: [...stats.daily],
    referrers: [...stats.referrers],
    browsers: [...stats.browsers],
    os: [...stats.os],
    devices: [...stats.devices],
    recent: stats.recent.map((click) => ({ ...click, clickedAt: click.clickedAt.toISOString() })),
    recentSince: stats.recentSince?.toISOString() ?? null,
  };
}
