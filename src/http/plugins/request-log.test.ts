import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createContainer } from '#src/container.ts';
import { buildServer } from '#src/http/build-server.ts';
import { createLogger } from '#src/lib/logger.ts';
import { Secret } from '#src/lib/secret.ts';
import { loadSettings } from '#src/settings/index.ts';
import { seededDataDir } from '#test/helpers/pglite-template.ts';
import { LogCollector } from '#test/helpers/log-collector.ts';
import { buildTestApp, sharedDatabase } from '#test/helpers/test-app.ts';

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
      assert.deepEqual(Object.keys(line), [
        'level',
        'time',
        'pid',
        'requestId',
        'method',
        'url',
        'route',
        'statusCode',
        'durationMs',
        'ip',
        'msg',
      ]);
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

describe('request logging for people (development: LOG_FORMAT=pretty by default)', () => {
  test('one line per request: method, masked URL, status, duration, request id', async (t) => {
    const dataDir = seededDataDir('hoplink-pretty-log-');
    t.after(() => {
      rmSync(dataDir, { recursive: true, force: true });
    });
    const loaded = loadSettings({
      env: { NODE_ENV: 'development', DATA_DIR: dataDir },
      envFile: '/nonexistent/.env',
      persistDevSecret: false,
    });
    assert.equal(loaded.settings.logFormat, 'pretty');
    let output = '';
    const terminal = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    const container = await createContainer(loaded.settings, {
      logDestination: terminal,
      database: await sharedDatabase(),
    });
    const app = buildServer(container);
    app.get('/quiet', () => ({ ok: true }));
    app.get<{ Params: { id: string } }>('/items/:id', (request) => {
      request.log.info({ item: request.params.id }, 'item looked up');
      return { ok: true };
    });
    t.after(async () => {
      await app.close();
      await container.close();
    });
    await app.ready();

    output = '';
    const quiet = await app.inject({
      url: '/quiet?q=private+words&page=2',
      headers: { host: 'localhost' },
    });
    const requestId = String(quiet.headers['x-request-id']);
    const lines = output.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, output);
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^\\[[\\d:.]+\\] INFO: GET /quiet\\?q=\\[REDACTED\\]&page=2 200 \\d+(\\.\\d)?ms \\(${requestId}\\)$`,
      ),
    );

    // What a request logs itself keeps its own lines; its access line is still one.
    output = '';
    const item = await app.inject({ url: '/items/42', headers: { host: 'localhost' } });
    const itemId = String(item.headers['x-request-id']);
    assert.match(
      output,
      new RegExp(`INFO: item looked up\\n +requestId: "${itemId}"\\n +item: "42"\\n`),
    );
    const access = output.split('\n').filter((line) => line.includes('GET /items/42'));
    assert.equal(access.length, 1, output);
    assert.match(access[0] ?? '', new RegExp(`INFO: GET /items/42 200 [\\d.]+ms \\(${itemId}\\)$`));
  });
});
