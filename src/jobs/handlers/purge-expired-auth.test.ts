import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import { passwordResetTokens, sessions } from '#src/db/schema.ts';
import { createUser } from '#test/factories.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';

let t: TestApp;
before(async () => {
  t = await buildTestApp();
});
after(() => t.close());

test('the scheduled purge job deletes dead sessions and reset tokens, keeps live ones, logs counts', async () => {
  const { db } = t.container.database;
  const user = await createUser(db);
  const live = await t.container.sessions.start(user.id, { csrfSecret: 'live' });
  const dead = await t.container.sessions.start(user.id, { csrfSecret: 'dead' });
  await db
    .update(sessions)
    .set({ expiresAt: new Date(Date.now() - 1_000) })
    .where(eq(sessions.id, dead.session.id));
  const tokenHashes = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
  await db.insert(passwordResetTokens).values([
    { userId: user.id, tokenHash: tokenHashes[0]!, expiresAt: new Date(Date.now() + 3_600_000) },
    { userId: user.id, tokenHash: tokenHashes[1]!, expiresAt: new Date(Date.now() - 1_000) },
  ]);

  // Eager in tests: the job runs inside enqueue, through the registry and its handler.
  await t.container.jobs.enqueue('purge-expired-auth', {});

  const sessionIds = (
    await db
      .select({ id: sessions.id })
      .from(sessions)
      .where(inArray(sessions.id, [live.session.id, dead.session.id]))
  ).map((row) => row.id);
  assert.deepEqual(sessionIds, [live.session.id]);
  const tokens = (
    await db
      .select({ tokenHash: passwordResetTokens.tokenHash })
      .from(passwordResetTokens)
      .where(inArray(passwordResetTokens.tokenHash, tokenHashes))
  ).map((row) => row.tokenHash);
  assert.deepEqual(tokens, [tokenHashes[0]]);
  const line = t.logs
    .entries()
    .find((entry) => entry.msg === 'purged expired sessions, reset and email-confirmation tokens');
  assert.ok(line, 'one line reports the purge');
  assert.ok(Number(line.sessions) >= 1 && Number(line.resetTokens) >= 1);
});
