import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { links, users } from '#src/db/schema.ts';
import { createLink, createUser } from '#test/factories.ts';
import {
  createTestDatabase,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { HttpVisitor } from '#test/helpers/http-visitor.ts';
import { redisReachable } from '#test/helpers/redis.ts';
import { productionEnv, spawnServe, type ServeProcess } from '#test/helpers/spawn-server.ts';
import { until } from '#test/helpers/until.ts';

const ready = (await postgresReachable()) && (await redisReachable());
const SKIP = ready ? {} : { skip: 'needs PostgreSQL and Redis (see .ci/run)' };

/** One GET on a fresh connection, so the cluster primary hands it to its next worker. */
function status(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, base),
      { agent: false, headers: { host: 'localhost', connection: 'close' }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function statuses(base: string, path: string, count = 8): Promise<number[]> {
  const answers: number[] = [];
  for (let i = 0; i < count; i += 1) answers.push(await status(base, path));
  return answers;
}

await describe(
  'an account deleted on one instance stops its links on every process of another',
  SKIP,
  () => {
    let database: TestDatabase;
    let first: ServeProcess;
    let second: ServeProcess;

    before(async () => {
      database = await createTestDatabase('postgres');
      const env = {
        ...productionEnv(database.url ?? ''),
        WEB_CONCURRENCY: '2',
        LOG_FORMAT: 'json',
        QUEUE_PREFIX: `hoplink-leaving-${randomUUID().slice(0, 8)}`,
      };
      [first, second] = [spawnServe({ env }), spawnServe({ env })];
      // Four web processes and two primaries starting at once: slower than one on a busy machine.
      await Promise.all([first.ready(120_000), second.ready(120_000)]);
    });
    after(async () => {
      await Promise.all([first.stop(), second.stop()]);
      await database.drop();
    });

    test('deleted through the form of the first, 404 on both processes of the second', async () => {
      const db = database.handle.db;
      const user = await createUser(db);
      const plain = await createLink(db, { ownerId: user.id });
      await createLink(db, { ownerId: user.id, slug: 'leaving' });
      const addresses = [`/${plain.code}`, `/${user.username}/leaving`];
      // Every process of both instances caches the links (fresh connections go round-robin), so
      // within the cache TTL (30 s) only the broadcast, not a miss, can make them stop.
      for (const server of [first, second]) {
        for (const path of addresses) {
          assert.deepEqual(await statuses(server.url, path), Array(8).fill(302), path);
        }
      }

      const visitor = new HttpVisitor(first.url);
      await visitor.get('/accounts/login');
      const login = await visitor.post('/accounts/login', {
        login: user.email,
        password: user.password,
      });
      assert.equal(login.status, 303, login.body);
      assert.equal((await visitor.get('/accounts/delete')).status, 200);
      const deleted = await visitor.post('/accounts/delete', { password: user.password });
      assert.equal(deleted.status, 303, deleted.body);
      assert.equal(deleted.location, '/accounts/deleted');
      const deletedAt = performance.now();

      for (const path of addresses) {
        await until(
          async () => (await statuses(second.url, path)).every((answer) => answer === 404),
          `every process of the other instance to answer 404 for ${path}`,
          5_000,
        );
      }
      const elapsed = Math.round(performance.now() - deletedAt);
      // Reported, not asserted: far below the cache TTL means the broadcast did it.
      console.log(
        `the deleted account's links answered 404 on the other instance after ${elapsed} ms`,
      );
      for (const path of addresses) {
        assert.deepEqual(await statuses(first.url, path), Array(8).fill(404), path);
      }
      assert.deepEqual(await db.select().from(users).where(eq(users.id, user.id)), []);
      assert.deepEqual(await db.select().from(links).where(eq(links.ownerId, user.id)), []);
      assert.equal((await visitor.get('/accounts/profile')).status, 303, 'signed out');
    });
  },
);
