import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { sessions, users } from '#src/db/schema.ts';
import { createUser } from '#test/factories.ts';
import {
  createTestDatabase,
  describeEachDatabase,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { hashToken } from './secret-tokens.ts';
import { createSessionsRepository } from './sessions.repository.ts';
import { createSessionsService } from './sessions.service.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

await describeEachDatabase('sessions service', (backend) => {
  let database: TestDatabase;
  let clock: Date;
  let service: ReturnType<typeof createSessionsService>;

  before(async () => {
    database = await createTestDatabase(backend);
    service = createSessionsService({
      sessions: createSessionsRepository(database.handle.db),
      idleMs: 14 * DAY,
      maxAgeMs: 90 * DAY,
      now: () => clock,
    });
  });
  after(() => database.drop());

  const rowOf = async (id: string) =>
    (await database.handle.db.select().from(sessions).where(eq(sessions.id, id)))[0];

  test('a session stores only the hash of its token and resolves to its user', async () => {
    clock = new Date();
    const user = await createUser(database.handle.db);
    const { token, session } = await service.start(user.id, {
      csrfSecret: 'secret',
      ip: '192.0.2.1',
      userAgent: 'test',
    });
    const row = await rowOf(session.id);
    assert.equal(row?.tokenHash, hashToken(token));
    const everything = JSON.stringify(
      await database.handle.db.select().from(sessions).where(eq(sessions.userId, user.id)),
    );
    assert.ok(!everything.includes(token), 'the raw token is nowhere in the table');
    const resolved = await service.resolve(token);
    assert.ok(resolved);
    assert.equal(resolved.user.id, user.id);
    assert.equal(resolved.session.csrfSecret, 'secret');
    assert.equal(await service.resolve(`${token}x`), null);
  });

  test('the expiry slides forward, writing last_seen_at at most once a minute', async () => {
    const start = new Date();
    clock = start;
    const user = await createUser(database.handle.db);
    const { token, session } = await service.start(user.id, { csrfSecret: 's' });
    assert.equal(session.expiresAt.getTime(), start.getTime() + 14 * DAY);

    clock = new Date(start.getTime() + 30_000);
    const soon = await service.resolve(token);
    assert.equal(soon?.session.renewed, false);
    assert.equal((await rowOf(session.id))?.lastSeenAt.getTime(), start.getTime());

    clock = new Date(start.getTime() + 2 * MINUTE);
    const later = await service.resolve(token);
    assert.ok(later);
    assert.equal(later.session.renewed, true);
    assert.equal(later.session.expiresAt.getTime(), clock.getTime() + 14 * DAY);
    assert.equal((await rowOf(session.id))?.lastSeenAt.getTime(), clock.getTime());
  });

  test('idle expiry: no request for SESSION_COOKIE_AGE ends the session', async () => {
    clock = new Date();
    const user = await createUser(database.handle.db);
    const { token, session } = await service.start(user.id, { csrfSecret: 's' });
    // Move the last request back 15 days, leaving expires_at alone: the idle rule alone decides.
    await database.handle.db
      .update(sessions)
      .set({ lastSeenAt: sql`now() - interval '15 days'` })
      .where(eq(sessions.id, session.id));
    assert.equal(await service.resolve(token), null);
    assert.equal(await rowOf(session.id), undefined, 'the dead row is deleted');
  });

  test('absolute expiry: SESSION_MAX_AGE after login the session ends, however busy', async () => {
    clock = new Date();
    const user = await createUser(database.handle.db);
    const { token, session } = await service.start(user.id, { csrfSecret: 's' });
    await database.handle.db
      .update(sessions)
      .set({ createdAt: sql`now() - interval '91 days'` })
      .where(eq(sessions.id, session.id));
    assert.equal(await service.resolve(token), null);
  });

  test('the sliding expiry never passes the absolute cap', async () => {
    const start = new Date();
    clock = start;
    const user = await createUser(database.handle.db);
    const { token } = await service.start(user.id, { csrfSecret: 's' });
    clock = new Date(start.getTime() + 85 * DAY);
    await database.handle.db
      .update(sessions)
      .set({
        lastSeenAt: new Date(clock.getTime() - DAY),
        expiresAt: new Date(clock.getTime() + 13 * DAY),
      })
      .where(eq(sessions.tokenHash, hashToken(token)));
    const resolved = await service.resolve(token);
    assert.equal(resolved?.session.expiresAt.getTime(), start.getTime() + 90 * DAY);
  });

  test('a deactivated user has no session', async () => {
    clock = new Date();
    const user = await createUser(database.handle.db);
    const { token } = await service.start(user.id, { csrfSecret: 's' });
    await database.handle.db.update(users).set({ isActive: false }).where(eq(users.id, user.id));
    assert.equal(await service.resolve(token), null);
  });

  test('end and revokeAll delete rows; revokeAll can spare the current session', async () => {
    clock = new Date();
    const user = await createUser(database.handle.db);
    const first = await service.start(user.id, { csrfSecret: 's' });
    const second = await service.start(user.id, { csrfSecret: 's' });
    const third = await service.start(user.id, { csrfSecret: 's' });
    await service.end(first.session.id);
    assert.equal(await service.resolve(first.token), null);
    assert.equal(await service.revokeAll(user.id, { exceptSessionId: third.session.id }), 1);
    assert.equal(await service.resolve(second.token), null);
    assert.equal((await service.resolve(third.token))?.user.id, user.id);
    assert.equal(await service.revokeAll(user.id), 1);
    assert.equal(await service.resolve(third.token), null);
  });

  test('purgeExpired deletes the sessions resolve would refuse and keeps live ones', async () => {
    const at = new Date();
    clock = at;
    const open = async (times: { createdAt: number; lastSeenAt: number; expiresAt: number }) => {
      // A user each: start() clears its user's expired sessions, which would hide the purge's.
      const user = await createUser(database.handle.db);
      const { token, session } = await service.start(user.id, { csrfSecret: 's' });
      await database.handle.db
        .update(sessions)
        .set({
          createdAt: new Date(times.createdAt),
          lastSeenAt: new Date(times.lastSeenAt),
          expiresAt: new Date(times.expiresAt),
        })
        .where(eq(sessions.id, session.id));
      return { token, id: session.id, userId: user.id };
    };
    const now = at.getTime();
    const live = await open({ createdAt: now, lastSeenAt: now, expiresAt: now + 14 * DAY });
    // One millisecond inside both limits: still live.
    const nearlyIdle = await open({
      createdAt: now - 90 * DAY + 1,
      lastSeenAt: now - 14 * DAY + 1,
      expiresAt: now + 1,
    });
    const pastExpiry = await open({ createdAt: now - DAY, lastSeenAt: now - DAY, expiresAt: now });
    // expires_at alone would keep these two: the idle and absolute limits decide.
    const idle = await open({
      createdAt: now - 20 * DAY,
      lastSeenAt: now - 14 * DAY,
      expiresAt: now + DAY,
    });
    const tooOld = await open({
      createdAt: now - 90 * DAY,
      lastSeenAt: now - MINUTE,
      expiresAt: now + DAY,
    });

    const countRows = async () =>
      (await database.handle.db.select({ id: sessions.id }).from(sessions)).length;
    const before = await countRows();
    const purged = await service.purgeExpired(at);
    assert.ok(purged >= 3, `at least the three dead sessions, got ${purged}`);
    assert.equal(before - (await countRows()), purged, 'the count is the rows deleted');
    for (const dead of [pastExpiry, idle, tooOld]) {
      assert.equal(await rowOf(dead.id), undefined);
    }
    assert.equal(await service.purgeExpired(at), 0, 'a second run deletes nothing more');
    for (const survivor of [live, nearlyIdle]) {
      assert.equal((await service.resolve(survivor.token))?.user.id, survivor.userId);
    }
  });
});
