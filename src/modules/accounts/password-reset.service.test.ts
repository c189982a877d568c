import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { passwordResetTokens, sessions, users } from '#src/db/schema.ts';
import { createTransactor } from '#src/db/transaction.ts';
import { createAccountMail } from '#src/email/account-mail.ts';
import type { EmailSender } from '#src/email/email-sender.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import { ValidationError } from '#src/lib/errors.ts';
import { createLogger } from '#src/lib/logger.ts';
import { createMemoryRateLimitStore } from '#src/lib/rate-limiter.ts';
import { createUser, unique } from '#test/factories.ts';
import {
  createTestDatabase,
  describeEachDatabase,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { LogCollector } from '#test/helpers/log-collector.ts';
import { createAccountEmailsService } from './account-emails.service.ts';
import { InvalidResetTokenError, TooManyAttemptsError } from './errors.ts';
import { createAttemptThrottle } from './login-throttle.ts';
import { verifyPassword } from './passwords.ts';
import { createPasswordResetService, RESET_TOKEN_LIFETIME_MS } from './password-reset.service.ts';
import { createInvitationsRepository } from './invitations.repository.ts';
import { createResetTokensRepository } from './reset-tokens.repository.ts';
import { hashToken } from './secret-tokens.ts';
import { createSessionsRepository } from './sessions.repository.ts';
import { createUsersRepository } from './users.repository.ts';
import { createVerificationTokensRepository } from './verification-tokens.repository.ts';

const NEW_PASSWORD = 'a brand new passphrase';
const LINK = /^https:\/\/hop\.example\.com\/accounts\/reset\/([A-Za-z0-9_-]{43})$/m;

await describeEachDatabase('password reset service', (backend) => {
  let database: TestDatabase;
  let outbox: MemoryOutbox;
  let logs: LogCollector;
  let clock: Date;

  function makeService(email: EmailSender = outbox) {
    const db = database.handle.db;
    const emails = createAccountEmailsService({
      users: createUsersRepository(db),
      resetTokens: createResetTokensRepository(db),
      invitations: createInvitationsRepository(db),
      verificationTokens: createVerificationTokensRepository(db),
      emailVerificationTtlMs: 86_400_000,
      mail: createAccountMail(email),
      siteUrl: 'https://hop.example.com',
      now: () => clock,
    });
    return createPasswordResetService({
      users: createUsersRepository(db),
      resetTokens: createResetTokensRepository(db),
      sessions: createSessionsRepository(db),
      transaction: createTransactor(db),
      // The email job runs inline, as the eager queue runs it in the app under test.
      emailJobs: {
        passwordReset: async (userId) => {
          await emails.sendPasswordReset(userId);
        },
      },
      throttle: createAttemptThrottle(createMemoryRateLimitStore(), 'reset', {
        perIp: 1000,
        perAccount: 3,
        windowMs: 60_000,
      }),
      logger: createLogger({ level: 'info', format: 'json', destination: logs }),
      passwordMinLength: 12,
      now: () => clock,
    });
  }

  before(async () => {
    database = await createTestDatabase(backend);
  });
  beforeEach(() => {
    outbox = new MemoryOutbox({ from: 'Hoplink <noreply@example.com>', subjectPrefix: '[Hop] ' });
    logs = new LogCollector();
    clock = new Date();
  });
  after(() => database.drop());

  /** Asks for a link and returns the token from the email. */
  async function requestToken(service: ReturnType<typeof makeService>, email: string) {
    await service.requestReset({ email, ip: '192.0.2.1' });
    const message = outbox.messages.at(-1);
    const token = LINK.exec(message?.text ?? '')?.[1];
    assert.ok(token, `a reset link in: ${message?.text ?? '(no email)'}`);
    return token;
  }

  test('a known address gets one email with a SITE_URL link; the database keeps only its hash', async () => {
    const service = makeService();
    const user = await createUser(database.handle.db);
    const token = await requestToken(service, user.email.toUpperCase());
    assert.equal(outbox.messages.length, 1);
    const [message] = outbox.messages;
    assert.ok(message);
    assert.equal(message.to, user.email);
    assert.equal(message.from, 'Hoplink <noreply@example.com>');
    assert.equal(message.subject, '[Hop] Reset your password');
    assert.ok(message.html.includes(`href="https://hop.example.com/accounts/reset/${token}"`));
    const rows = await database.handle.db
      .select()
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.userId, user.id));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.tokenHash, hashToken(token));
    assert.equal(rows[0].expiresAt.getTime(), clock.getTime() + RESET_TOKEN_LIFETIME_MS);
    assert.equal(await service.isUsable(token), true);
  });

  test('an unknown or inactive address returns the same way and sends nothing', async () => {
    const service = makeService();
    const inactive = await createUser(database.handle.db, { isActive: false });
    await service.requestReset({ email: `nobody-${unique()}@example.com`, ip: '192.0.2.1' });
    await service.requestReset({ email: inactive.email, ip: '192.0.2.1' });
    assert.deepEqual(outbox.messages, []);
  });

  test('a malformed address is a field error; too many requests for one address are refused', async () => {
    const service = makeService();
    await assert.rejects(service.requestReset({ email: 'nope', ip: '192.0.2.1' }), ValidationError);
    const email = `flood-${unique()}@example.com`;
    for (let i = 0; i < 3; i += 1) await service.requestReset({ email, ip: `198.51.100.${i}` });
    await assert.rejects(
      service.requestReset({ email: email.toUpperCase(), ip: '203.0.113.1' }),
      TooManyAttemptsError,
    );
  });

  test('completing sets the password, spends the token and ends every session', async () => {
    const service = makeService();
    const db = database.handle.db;
    const user = await createUser(db);
    const sessionsRepository = createSessionsRepository(db);
    for (const tokenHash of [`a${unique()}`, `b${unique()}`]) {
      await sessionsRepository.insert({
        userId: user.id,
        tokenHash,
        csrfSecret: 's',
        createdAt: clock,
        lastSeenAt: clock,
        expiresAt: new Date(clock.getTime() + 60_000),
        ip: null,
        userAgent: null,
      });
    }
    const token = await requestToken(service, user.email);
    const second = await requestToken(service, user.email);
    await service.completeReset({ token, newPassword: NEW_PASSWORD });

    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    assert.equal(await verifyPassword(row!.passwordHash, NEW_PASSWORD), true);
    assert.deepEqual(await db.select().from(sessions).where(eq(sessions.userId, user.id)), []);
    await assert.rejects(
      service.completeReset({ token, newPassword: 'another fine passphrase' }),
      InvalidResetTokenError,
    );
    assert.equal(await service.isUsable(second), false, 'other outstanding links are void too');
  });

  test('a link older than one hour is refused', async () => {
    const service = makeService();
    const user = await createUser(database.handle.db);
    const token = await requestToken(service, user.email);
    clock = new Date(clock.getTime() + RESET_TOKEN_LIFETIME_MS + 1);
    assert.equal(await service.isUsable(token), false);
    await assert.rejects(
      service.completeReset({ token, newPassword: NEW_PASSWORD }),
      InvalidResetTokenError,
    );
  });

  test('a weak new password is a field error and leaves the token usable', async () => {
    const service = makeService();
    const user = await createUser(database.handle.db);
    const token = await requestToken(service, user.email);
    await assert.rejects(service.completeReset({ token, newPassword: 'Tz9#pQ-w' }), (error) => {
      assert.ok(error instanceof ValidationError);
      assert.deepEqual(error.details, [
        {
          field: 'newPassword',
          message: 'This password is too short. It must contain at least 12 characters.',
        },
      ]);
      return true;
    });
    assert.equal(await service.isUsable(token), true);
  });

  test('two submissions of one link: exactly one wins', async () => {
    const service = makeService();
    const user = await createUser(database.handle.db);
    const token = await requestToken(service, user.email);
    const results = await Promise.allSettled([
      service.completeReset({ token, newPassword: NEW_PASSWORD }),
      service.completeReset({ token, newPassword: 'the other passphrase here' }),
    ]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
  });

  test('a failing transport is logged, not raised (that would reveal the account)', async () => {
    const service = makeService({ send: () => Promise.reject(new Error('smtp down')) });
    const user = await createUser(database.handle.db);
    await service.requestReset({ email: user.email, ip: '192.0.2.1' });
    assert.match(logs.text, /password reset email could not be sent/);
  });

  test('purgeExpired deletes tokens past their hour, used or not, and keeps the rest', async () => {
    const service = makeService();
    const start = clock;
    const db = database.handle.db;
    const tokenRow = async (token: string) =>
      (
        await db
          .select()
          .from(passwordResetTokens)
          .where(eq(passwordResetTokens.tokenHash, hashToken(token)))
      )[0];

    clock = new Date(start.getTime() - RESET_TOKEN_LIFETIME_MS - 1);
    const expired = await requestToken(service, (await createUser(db)).email);
    clock = new Date(start.getTime() - 30 * 60_000);
    const used = await requestToken(service, (await createUser(db)).email);
    await service.completeReset({ token: used, newPassword: NEW_PASSWORD });
    clock = start;
    const live = await requestToken(service, (await createUser(db)).email);

    const countRows = async () =>
      (await db.select({ id: passwordResetTokens.id }).from(passwordResetTokens)).length;
    const before = await countRows();
    const purged = await service.purgeExpired(start);
    assert.ok(purged >= 1, `at least the expired token, got ${purged}`);
    assert.equal(before - (await countRows()), purged, 'the count is the rows deleted');
    assert.equal(await tokenRow(expired), undefined);
    assert.ok((await tokenRow(used))?.usedAt, 'a used token stays until its hour is over');
    assert.equal(await service.isUsable(live), true);
    assert.equal(await service.purgeExpired(start), 0, 'a second run deletes nothing more');

    // Half an hour on, the used token's hour is over; the live one has half an hour left.
    assert.ok((await service.purgeExpired(new Date(start.getTime() + 30 * 60_000))) >= 1);
    assert.equal(await tokenRow(used), undefined);
    assert.equal(await service.isUsable(live), true);
  });
});
