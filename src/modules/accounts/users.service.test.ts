import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { passwordResetTokens, sessions, users } from '#src/db/schema.ts';
import { createTransactor } from '#src/db/transaction.ts';
import { ValidationError } from '#src/lib/errors.ts';
import { createMemoryRateLimitStore } from '#src/lib/rate-limiter.ts';
import { createUser, unique } from '#test/factories.ts';
import {
  createTestDatabase,
  describeEachDatabase,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { InvalidCredentialsError, TooManyAttemptsError } from './errors.ts';
import { createAttemptThrottle, SIGN_UP_POLICY } from './login-throttle.ts';
import { hashPassword } from './passwords.ts';
import { createInvitationsRepository } from './invitations.repository.ts';
import { createResetTokensRepository } from './reset-tokens.repository.ts';
import { createSessionsRepository } from './sessions.repository.ts';
import { createUsersRepository } from './users.repository.ts';
import { createUsersService, type UsersService } from './users.service.ts';
import { createVerificationTokensRepository } from './verification-tokens.repository.ts';

const STRONG = 'violet kettle under seven lamps';

/** The field → messages a ValidationError carries, for compact assertions. */
function fieldsOf(error: unknown): Record<string, string[]> {
  assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
  const fields: Record<string, string[]> = {};
  for (const { field, message } of error.details as { field: string; message: string }[]) {
    (fields[field] ??= []).push(message);
  }
  return fields;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

await describeEachDatabase('users service', (backend) => {
  let database: TestDatabase;
  let service: UsersService;
  const ip = '192.0.2.1';
  /** The emails sign-up asked for, by kind and user id. */
  let emailed: { kind: 'welcome' | 'accountExists'; userId: string }[] = [];

  function makeService(
    policy = { perIp: 1000, perAccount: 5, windowMs: 60_000 },
    reservedWords: readonly string[] = [],
  ) {
    const db = database.handle.db;
    const store = createMemoryRateLimitStore();
    return createUsersService({
      users: createUsersRepository(db),
      sessions: createSessionsRepository(db),
      resetTokens: createResetTokensRepository(db),
      invitations: createInvitationsRepository(db),
      verificationTokens: createVerificationTokensRepository(db),
      transaction: createTransactor(db),
      loginThrottle: createAttemptThrottle(store, 'login', policy),
      signUpThrottle: createAttemptThrottle(store, 'sign-up', { ...SIGN_UP_POLICY, perIp: 1000 }),
      emailJobs: {
        welcome: (userId) => {
          emailed.push({ kind: 'welcome', userId });
          return Promise.resolve();
        },
        accountExists: (userId) => {
          emailed.push({ kind: 'accountExists', userId });
          return Promise.resolve();
        },
        emailVerification: () => Promise.reject(new Error('verification is off here')),
      },
      registrationMode: 'open',
      emailVerification: false,
      passwordMinLength: 12,
      reservedWords,
    });
  }

  /** The account an address belongs to, in any case. */
  function userByEmail(email: string) {
    return createUsersRepository(database.handle.db).findByEmail(email);
  }

  before(async () => {
    database = await createTestDatabase(backend);
    service = makeService();
  });
  after(() => database.drop());

  test('register normalises the email and username, stores an Argon2id hash, asks for a welcome', async () => {
    const suffix = unique();
    emailed = [];
    await service.register({
      email: `  Ada-${suffix}@Example.com `,
      username: ` Ada_${suffix} `,
      password: STRONG,
      ip,
    });
    const row = await userByEmail(`Ada-${suffix}@Example.com`);
    assert.ok(row);
    assert.equal(row.email, `Ada-${suffix}@Example.com`);
    assert.equal(row.username, `ada_${suffix}`);
    assert.equal(row.isStaff, false);
    assert.match(row.passwordHash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.ok(!row.passwordHash.includes(STRONG));
    assert.deepEqual(emailed, [{ kind: 'welcome', userId: row.id }]);
  });

  test('the admin segment (reservedWords) cannot be a username', async () => {
    const guarded = makeService(undefined, ['Staff-Q8w2']);
    const error = await rejection(
      guarded.register({
        email: `s-${Date.now()}@example.com`,
        username: 'staff-q8w2',
        password: STRONG,
        ip,
      }),
    );
    assert.deepEqual(fieldsOf(error), { username: ['This username is reserved; choose another.'] });
  });

  test('register lists every field problem at once', async () => {
    const error = await rejection(
      service.register({ email: 'not-an-email', username: 'api', password: '12345', ip }),
    );
    assert.deepEqual(fieldsOf(error), {
      email: ['Enter a valid email address, like name@example.com.'],
      username: ['This username is reserved; choose another.'],
      password: [
        'This password is too short. It must contain at least 12 characters.',
        'This password is too common.',
        'This password is entirely numeric.',
      ],
    });
    const badShape = await rejection(
      service.register({ email: 'a@example.com', username: 'no spaces!', password: STRONG, ip }),
    );
    assert.deepEqual(Object.keys(fieldsOf(badShape)), ['username']);
  });

  test('a taken email (in any case) resolves like a fresh sign-up and only tells its owner', async () => {
    const existing = await createUser(database.handle.db);
    const username = `fresh_${unique()}`;
    emailed = [];
    await service.register({ email: existing.email.toUpperCase(), username, password: STRONG, ip });
    assert.deepEqual(emailed, [{ kind: 'accountExists', userId: existing.id }]);
    const [taken] = await database.handle.db
      .select()
      .from(users)
      .where(eq(users.username, username));
    assert.equal(taken, undefined, 'nothing was created');
  });

  test('a taken username is refused on its field (usernames are public)', async () => {
    const existing = await createUser(database.handle.db);
    const byUsername = await rejection(
      service.register({
        email: `fresh-${unique()}@example.com`,
        username: existing.username,
        password: STRONG,
        ip,
      }),
    );
    assert.deepEqual(fieldsOf(byUsername), {
      username: ['This username is taken; choose another.'],
    });
  });

  test('two sign-ups racing for one email: one account, and its owner hears of the other', async () => {
    const email = `race-${unique()}@example.com`;
    emailed = [];
    await Promise.all([
      service.register({ email, username: `race_a_${unique()}`, password: STRONG, ip }),
      service.register({
        email: email.toUpperCase(),
        username: `race_b_${unique()}`,
        password: STRONG,
        ip,
      }),
    ]);
    const row = await userByEmail(email);
    assert.ok(row, 'one account, whichever came first');
    assert.deepEqual(emailed.map((entry) => entry.kind).sort(), ['accountExists', 'welcome']);
    assert.ok(emailed.every((entry) => entry.userId === row.id));
  });

  test('sign-ups with one address are limited, whether or not it has an account', async () => {
    const existing = await createUser(database.handle.db);
    for (const email of [existing.email, `new-${unique()}@example.com`]) {
      const outcomes = [];
      for (let i = 0; i < SIGN_UP_POLICY.perAccount + 1; i += 1) {
        outcomes.push(
          await service
            .register({ email, username: `many_${unique()}`, password: STRONG, ip })
            .then(
              () => 'ok',
              (error: unknown) => (error instanceof TooManyAttemptsError ? 429 : error),
            ),
        );
      }
      assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 429], email);
    }
  });

  test('the repository maps unique-index violations to the field they concern', async () => {
    const repository = createUsersRepository(database.handle.db);
    const existing = await createUser(database.handle.db);
    const values = { passwordHash: 'x', emailVerifiedAt: null };
    assert.deepEqual(
      await repository.insert({
        ...values,
        email: existing.email.toUpperCase(),
        username: `u_${unique()}`,
      }),
      { ok: false, conflict: 'email' },
    );
    assert.deepEqual(
      await repository.insert({
        ...values,
        email: `u-${unique()}@example.com`,
        username: existing.username,
      }),
      { ok: false, conflict: 'username' },
    );
  });

  test('logIn accepts the email in any case or the username, and records the login', async () => {
    const fixture = await createUser(database.handle.db);
    const byEmail = await service.logIn({
      login: fixture.email.toUpperCase(),
      password: fixture.password,
      ip,
    });
    assert.equal(byEmail.id, fixture.id);
    const byUsername = await service.logIn({
      login: fixture.username,
      password: fixture.password,
      ip,
    });
    assert.equal(byUsername.id, fixture.id);
    const [row] = await database.handle.db.select().from(users).where(eq(users.id, fixture.id));
    assert.ok(row!.lastLoginAt instanceof Date);
  });

  test('unknown user, wrong password and inactive account fail identically', async () => {
    const fixture = await createUser(database.handle.db);
    const inactive = await createUser(database.handle.db, { isActive: false });
    const errors = await Promise.all([
      rejection(
        service.logIn({ login: `nobody-${unique()}@example.com`, password: 'whatever', ip }),
      ),
      rejection(service.logIn({ login: fixture.username, password: 'wrong password', ip })),
      rejection(service.logIn({ login: inactive.email, password: inactive.password, ip })),
    ]);
    for (const error of errors) {
      assert.ok(error instanceof InvalidCredentialsError);
      assert.equal(error.message, new InvalidCredentialsError().message);
    }
  });

  test('logIn upgrades a hash made with older parameters', async () => {
    const password = 'an old but good passphrase';
    const oldHash = await hashPassword(password, { timeCost: 1, memoryCost: 8192, parallelism: 1 });
    const fixture = await createUser(database.handle.db, { password, passwordHash: oldHash });
    await service.logIn({ login: fixture.email, password, ip });
    const [row] = await database.handle.db.select().from(users).where(eq(users.id, fixture.id));
    assert.notEqual(row!.passwordHash, oldHash);
    assert.match(row!.passwordHash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    // And the new hash still verifies.
    await service.logIn({ login: fixture.email, password, ip });
  });

  test('both names share one account budget; past it the account answers like a wrong password', async () => {
    const fixture = await createUser(database.handle.db);
    const other = await createUser(database.handle.db);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const login = attempt % 2 === 0 ? fixture.email : fixture.username;
      const error = await rejection(
        service.logIn({ login, password: 'nope', ip: `198.51.100.${attempt}` }),
      );
      assert.ok(error instanceof InvalidCredentialsError);
    }
    // Neither name has used its own five, so neither says 429 (that would link the two names);
    // the account is paused all the same: even its password is not checked.
    const paused = await rejection(
      service.logIn({ login: fixture.email, password: fixture.password, ip: '203.0.113.9' }),
    );
    assert.ok(paused instanceof InvalidCredentialsError);
    assert.equal(
      (await service.logIn({ login: other.email, password: other.password, ip })).id,
      other.id,
    );
  });

  test('a name past its own budget is refused with 429, known or not', async () => {
    const fixture = await createUser(database.handle.db);
    for (const login of [fixture.username.toUpperCase(), `ghost_${unique()}`]) {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        await rejection(service.logIn({ login, password: 'nope', ip: `198.51.100.${attempt}` }));
      }
      const blocked = await rejection(service.logIn({ login, password: 'nope', ip }));
      assert.ok(blocked instanceof TooManyAttemptsError, login);
      assert.equal(blocked.statusCode, 429);
    }
  });

  test('a successful login starts the account over', async () => {
    const fixture = await createUser(database.handle.db);
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await rejection(service.logIn({ login: fixture.email, password: 'nope', ip }));
    }
    await service.logIn({ login: fixture.email, password: fixture.password, ip });
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await rejection(service.logIn({ login: fixture.email, password: 'nope', ip }));
    }
    assert.equal(
      (await service.logIn({ login: fixture.email, password: fixture.password, ip })).id,
      fixture.id,
    );
  });

  test('failures are limited per IP across accounts', async () => {
    const strict = makeService({ perIp: 3, perAccount: 100, windowMs: 60_000 });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await rejection(
        strict.logIn({ login: `ghost-${unique()}`, password: 'x', ip: '192.0.2.77' }),
      );
    }
    const fixture = await createUser(database.handle.db);
    const blocked = await rejection(
      strict.logIn({ login: fixture.email, password: fixture.password, ip: '192.0.2.77' }),
    );
    assert.ok(blocked instanceof TooManyAttemptsError);
    assert.equal(
      (await strict.logIn({ login: fixture.email, password: fixture.password, ip: '192.0.2.78' }))
        .id,
      fixture.id,
    );
  });

  test('updateProfile changes email and username; taken ones are refused, keeping your own is fine', async () => {
    const fixture = await createUser(database.handle.db);
    const other = await createUser(database.handle.db);
    const same = await service.updateProfile(fixture.id, {
      email: fixture.email.toUpperCase(),
      username: fixture.username,
    });
    assert.equal(same.email, fixture.email.toUpperCase());
    const taken = await rejection(
      service.updateProfile(fixture.id, { email: other.email, username: other.username }),
    );
    assert.deepEqual(Object.keys(fieldsOf(taken)).sort(), ['email', 'username']);
    const renamed = await service.updateProfile(fixture.id, {
      email: `renamed-${unique()}@example.com`,
      username: `renamed_${unique()}`,
    });
    assert.match(renamed.username, /^renamed_/);
  });

  test('changePassword checks the current password and the rules, then ends the other sessions', async () => {
    const db = database.handle.db;
    const fixture = await createUser(db);
    const sessionsRepository = createSessionsRepository(db);
    const expiresAt = new Date(Date.now() + 60_000);
    const kept = await sessionsRepository.insert({
      userId: fixture.id,
      tokenHash: `a${unique()}`,
      csrfSecret: 's',
      createdAt: new Date(),
      lastSeenAt: new Date(),
      expiresAt,
      ip: null,
      userAgent: null,
    });
    await sessionsRepository.insert({
      userId: fixture.id,
      tokenHash: `b${unique()}`,
      csrfSecret: 's',
      createdAt: new Date(),
      lastSeenAt: new Date(),
      expiresAt,
      ip: null,
      userAgent: null,
    });
    await db
      .insert(passwordResetTokens)
      .values({ userId: fixture.id, tokenHash: `r${unique()}`, expiresAt });

    const wrongCurrent = await rejection(
      service.changePassword(fixture.id, {
        currentPassword: 'nope',
        newPassword: STRONG,
        keepSessionId: kept.id,
      }),
    );
    assert.deepEqual(fieldsOf(wrongCurrent), {
      currentPassword: ['Your current password is not correct.'],
    });
    const weak = await rejection(
      service.changePassword(fixture.id, {
        currentPassword: fixture.password,
        newPassword: fixture.username,
        keepSessionId: kept.id,
      }),
    );
    assert.ok(
      fieldsOf(weak).newPassword?.includes('This password is too similar to your username.'),
    );

    await service.changePassword(fixture.id, {
      currentPassword: fixture.password,
      newPassword: STRONG,
      keepSessionId: kept.id,
    });
    const left = await db.select().from(sessions).where(eq(sessions.userId, fixture.id));
    assert.deepEqual(
      left.map((row) => row.id),
      [kept.id],
    );
    const tokens = await db
      .select()
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.userId, fixture.id));
    assert.deepEqual(tokens, []);
    await service.logIn({ login: fixture.email, password: STRONG, ip });
    assert.ok(
      (await rejection(
        service.logIn({ login: fixture.email, password: fixture.password, ip }),
      )) instanceof InvalidCredentialsError,
    );
  });
});
