import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '#src/lib/logger.ts';
import { Secret } from '#src/lib/secret.ts';
import { buildTestApp, LogCollector } from '#test/helpers/test-app.ts';

describe('request logging', () => {
  test('one line per request with id, method, route, status and duration', async () => {
    const t = await buildTestApp({}, (app) => app.get('/items/:id', () => ({ ok: true })));
    try {
      const response = await t.app.inject({
        url: '/items/42?limit=10',
        headers: { host: 'localhost' },
      });
      const lines = t.logs
        .entries()
        .filter((entry) => entry.requestId === response.headers['x-request-id']);
      assert.equal(lines.length, 1);
      const line = lines[0]!;
      assert.equal(line.msg, 'request');
      assert.equal(line.method, 'GET');
      assert.equal(line.url, '/items/42?limit=10');
      assert.equal(line.route, '/items/:id');
      assert.equal(line.statusCode, 200);
      assert.equal(typeof line.durationMs, 'number');
    } finally {
      await t.close();
    }
  });

  test('credentials in a failing request never reach the log', async () => {
    const t = await buildTestApp({}, (app) =>
      app.post('/api/v1/fail', () => {
        throw new Error('boom');
      }),
    );
    try {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/fail?token=tok-in-query&page=2',
        headers: {
          host: 'localhost',
          authorization: 'Bearer hop_live_SECRETTOKEN',
          cookie: 'session=SESSIONCOOKIE',
          'content-type': 'application/json',
        },
        payload: { password: 'PASSWORDVALUE' },
      });
      const text = t.logs.text;
      assert.match(text, /"authorization":"\[REDACTED\]"/, 'the header is logged, censored');
      assert.match(text, /"cookie":"\[REDACTED\]"/);
      for (const secret of ['SECRETTOKEN', 'SESSIONCOOKIE', 'PASSWORDVALUE', 'tok-in-query']) {
        assert.ok(!text.includes(secret), `${secret} leaked into the log`);
      }
      assert.match(text, /token=\[REDACTED\]&page=2/);
    } finally {
      await t.close();
    }
  });

  test('password, token and secret fields and Secret values are censored anywhere in a line', () => {
    const logs = new LogCollector();
    const logger = createLogger({ level: 'info', format: 'json', destination: logs });
    logger.info(
      {
        password: 'p1-value',
        user: { password: 'p2-value', token: 't-value' },
        settings: {
          secretKey: new Secret('s-value'),
          databaseUrl: new Secret('postgres://u:pw-value@db/x'),
        },
      },
      'something',
    );
    for (const value of ['p1-value', 'p2-value', 't-value', 's-value', 'pw-value']) {
      assert.ok(!logs.text.includes(value), `${value} leaked`);
    }
  });

  test("the reset token in a refused form's path and a search term never reach the log", async () => {
    const token = 'Zq3vKx9LmN2pR7sT1uW4yA6bC8dE0fG5hJ-kM_oP';
    const t = await buildTestApp({}, (app) =>
      app.get('/search', () => {
        throw new Error('boom');
      }),
    );
    try {
      const forged = await t.app.inject({
        method: 'POST',
        url: `/accounts/reset/${token}`,
        headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=forged&newPassword=whatever-it-is`,
      });
      assert.equal(forged.statusCode, 403);
      await t.app.inject({
        url: '/search?q=my+private+words&page=2',
        headers: { host: 'localhost' },
      });
      const warning = t.logs.entries().find((entry) => entry.msg === 'CSRF check failed');
      assert.equal(warning?.path, '/accounts/reset/[REDACTED]');
      assert.ok(
        t.logs.entries().some((entry) => entry.url === '/search?q=[REDACTED]&page=2'),
        t.logs.text,
      );
      for (const secret of [token, 'private', 'whatever-it-is']) {
        assert.ok(!t.logs.text.includes(secret), `${secret} leaked into the log`);
      }
    } finally {
      await t.close();
    }
  });
});
