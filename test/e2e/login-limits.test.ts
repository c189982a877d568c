import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createLink, createUser, unique } from '#test/factories.ts';
import {
  createTestDatabase,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { HttpVisitor } from '#test/helpers/http-visitor.ts';
import { PrivateRedis, redisServerInstalled } from '#test/helpers/redis-server.ts';
import {
  redisReachable,
  SKIP_REDIS,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '#test/helpers/redis.ts';
import { productionEnv, startServer, type ServeProcess } from '#test/helpers/spawn-server.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';

// The login limit is counted before the password is checked, atomically, so concurrency cannot
// multiply the budget; with REDIS_URL the count is one across every process.

let ipSequence = 0;
const freshIp = () => {
  ipSequence += 1;
  return `10.77.${Math.floor(ipSequence / 250) % 250}.${(ipSequence % 250) + 1}`;
};

/** The answers that got past the limit (each cost one Argon2id verification), and the rest. */
function split(responses: readonly LightMyRequestResponse[]) {
  const refused = responses.filter((response) => response.statusCode === 429);
  const evaluated = responses.filter((response) => response.statusCode !== 429);
  for (const response of refused) {
    assert.ok(Number(response.headers['retry-after']) > 0, 'a 429 says when to come back');
  }
  for (const response of evaluated) {
    assert.equal(response.statusCode, 400, 'a wrong password, not an error');
  }
  return { refused: refused.length, evaluated: evaluated.length };
}

const redisUp = await redisReachable();

for (const store of ['memory', 'redis'] as const) {
  void describe(
    `login limits under concurrency [${store} store]`,
    store === 'redis' && !redisUp ? { skip: SKIP_REDIS } : {},
    () => {
      let t: TestApp;
      const keys = uniqueQueuePrefix();
      before(async () => {
        t = await buildTestApp(
          store === 'redis' ? { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: keys.prefix } : {},
        );
      });
      after(async () => {
        await t.close();
        if (store === 'redis') await keys.cleanup();
      });

      test('60 parallel wrong logins for one account: 5 are evaluated, the others get 429', async () => {
        const fixture = await createUser((await sharedDatabase()).db);
        const browser = new TestBrowser(t.app, { ip: freshIp() });
        await browser.get('/accounts/login');
        const responses = await Promise.all(
          Array.from({ length: 60 }, () =>
            browser.post('/accounts/login', { login: fixture.username, password: 'a wrong guess' }),
          ),
        );
        assert.deepEqual(split(responses), { evaluated: 5, refused: 55 });
      });

      test('80 parallel wrong logins from one IP over 80 accounts: 20 are evaluated', async () => {
        const db = (await sharedDatabase()).db;
        const fixtures = await Promise.all(Array.from({ length: 80 }, () => createUser(db)));
        const browser = new TestBrowser(t.app, { ip: freshIp() });
        await browser.get('/accounts/login');
        const responses = await Promise.all(
          fixtures.map((fixture) =>
            browser.post('/accounts/login', { login: fixture.email, password: 'a wrong guess' }),
          ),
        );
        assert.deepEqual(split(responses), { evaluated: 20, refused: 60 });
      });
    },
  );
}

const spawnReady = (await postgresReachable()) && redisServerInstalled();

void describe(
  'two `hoplink serve` instances on one Redis (production, 2 workers each)',
  spawnReady ? {} : { skip: 'needs PostgreSQL and the redis-server program (see .ci/run)' },
  () => {
    let database: TestDatabase;
    let redis: PrivateRedis;
    let servers: ServeProcess[] = [];

    before(async () => {
      database = await createTestDatabase('postgres');
      redis = await PrivateRedis.start();
      const env = {
        ...productionEnv(database.url ?? ''),
        REDIS_URL: redis.url,
        QUEUE_PREFIX: `hoplink-limits-${randomBytes(4).toString('hex')}`,
        WEB_CONCURRENCY: '2',
      };
      servers = await Promise.all([startServer({ env }), startServer({ env })]);
    });

    after(async () => {
      for (const server of servers) server.kill();
      await redis.destroy();
      await database.drop();
    });

    test('failed logins for one account, spread over both, are refused from the sixth on', async () => {
      const fixture = await createUser(database.handle.db);
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 8; attempt += 1) {
        const visitor = new HttpVisitor(servers[attempt % 2]!.url);
        await visitor.get('/accounts/login');
        const page = await visitor.post('/accounts/login', {
          login: attempt % 3 === 0 ? fixture.email.toUpperCase() : fixture.email,
          password: 'a wrong guess',
        });
        statuses.push(page.status);
      }
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429, 429, 429]);
    });

    test('with Redis down, login and reset answer a 503 page, the API a JSON 503, the redirect 302', async () => {
      const link = await createLink(database.handle.db);
      const [server] = servers;
      assert.ok(server);
      const visitor = new HttpVisitor(server.url);
      await visitor.get('/accounts/login');
      await visitor.get('/accounts/password-reset');
      await redis.stop();

      const login = await visitor.post('/accounts/login', {
        login: `nobody-${unique()}@example.com`,
        password: 'whatever it is',
      });
      const reset = await visitor.post('/accounts/password-reset', {
        email: `nobody-${unique()}@example.com`,
      });
      for (const [what, page] of [
        ['login', login],
        ['reset', reset],
      ] as const) {
        assert.equal(page.status, 503, `${what}: ${page.body.slice(0, 500)}`);
        assert.match(String(page.contentType), /^text\/html/, what);
        assert.match(page.body, /Error 503/, what);
        assert.match(page.body, /try again in a few minutes/i, what);
        assert.doesNotMatch(page.body, /redis|ECONNREFUSED|timed out|\bat .*\.ts:\d+/i, what);
      }
      assert.equal(visitor.cookies.has('hoplink_session'), false, 'nobody was logged in');

      const api = await fetch(`${server.url}/api/v1/me`, {
        headers: { authorization: 'Bearer hop_abcdefgh_00000000000000000000000000000000' },
      });
      assert.equal(api.status, 503);
      const body = (await api.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unavailable');
      assert.doesNotMatch(JSON.stringify(body), /redis|ECONNREFUSED/i);

      const hop = await fetch(`${server.url}/${link.code}`, { redirect: 'manual' });
      assert.equal(hop.status, 302);
      assert.equal(hop.headers.get('location'), link.targetUrl);
    });
  },
);
