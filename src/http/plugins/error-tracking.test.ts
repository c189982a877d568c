import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ServiceUnavailableError } from '#src/lib/errors.ts';
import { startSentryStandIn } from '#test/helpers/sentry-stand-in.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { errorHandlerPlugin } from './error-handler.ts';

// Made at run time, so no stack frame's source lines (which the SDK sends) can carry them.
const secret = (label: string) => `${label}${randomBytes(12).toString('hex')}`;
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

type Payload = Record<string, unknown>;

let standIn: Awaited<ReturnType<typeof startSentryStandIn>>;
before(async () => {
  standIn = await startSentryStandIn();
});
after(() => standIn.close());

/** What the failing routes throw: a message and a property holding values, as drivers do. */
const thrown = { token: randomBytes(24).toString('base64url'), parameter: secret('param') };

function failingRoutes(app: FastifyInstance): void {
  const fail = () => {
    throw Object.assign(new Error(`lookup with ${thrown.token} failed`), {
      params: [thrown.parameter],
    });
  };
  app.get('/boom', fail);
  app.get('/outage', () => {
    throw new ServiceUnavailableError();
  });
  void app.register(
    async (api) => {
      await api.register(errorHandlerPlugin, { debug: false, format: 'json' });
      api.get('/boom', fail);
    },
    { prefix: '/api/test' },
  );
}

/**
 * The real app with SENTRY_DSN at the stand-in: `work` runs against it, then the app closes,
 * which flushes what the SDK holds. Returns the events sent meanwhile and the raw envelopes.
 */
async function tracked(
  work: (t: TestApp) => Promise<void>,
): Promise<{ events: Payload[]; raw: string; t: TestApp }> {
  const from = standIn.envelopes.length;
  const t = await buildTestApp({ SENTRY_DSN: standIn.dsn }, failingRoutes);
  try {
    await work(t);
  } finally {
    await t.close();
  }
  const envelopes = standIn.envelopes.slice(from);
  return {
    events: envelopes.flatMap((envelope) =>
      envelope.items.filter((item) => item.type === 'event').map((item) => item.payload),
    ),
    raw: envelopes.map((envelope) => envelope.raw).join('\n'),
    t,
  };
}

describe('error tracking from the web process', () => {
  test('a route that throws sends one event: request id, release, environment; no cookie, token or secret', async () => {
    const cookie = secret('cookie');
    const bearer = secret('bearer');
    const query = secret('query');
    let requestId = '';
    const { events, raw, t } = await tracked(async (t) => {
      t.logs.expectErrors();
      const response = await t.app.inject({
        method: 'GET',
        url: `/boom?token=${query}&limit=5`,
        headers: {
          cookie: `hoplink_session=${cookie}; hoplink_csrf=${cookie}`,
          authorization: `Bearer ${bearer}`,
        },
      });
      assert.equal(response.statusCode, 500);
      requestId = String(response.headers['x-request-id']);
    });
    assert.equal(events.length, 1, raw);
    const [event] = events;
    assert.ok(event);
    assert.deepEqual(event.tags, { request_id: requestId });
    assert.equal(event.release, `hoplink@${VERSION}`);
    assert.equal(event.environment, 'test');
    assert.deepEqual(event.request, { method: 'GET', url: '/boom?token=[REDACTED]&limit=5' });
    const values = (event.exception as { values: { value: string }[] }).values;
    assert.deepEqual(
      values.map((value) => value.value),
      ['lookup with [REDACTED] failed'],
    );
    for (const value of [
      cookie,
      bearer,
      query,
      thrown.token,
      thrown.parameter,
      t.settings.secretKey.reveal(),
    ]) {
      assert.ok(!raw.includes(value), `${value} was sent:\n${raw}`);
    }
  });

  test('the API scope reports its unexpected errors too', async () => {
    let requestId = '';
    const { events } = await tracked(async (t) => {
      t.logs.expectErrors();
      const response = await t.app.inject({ method: 'GET', url: '/api/test/boom' });
      assert.equal(response.statusCode, 500);
      requestId = String(response.headers['x-request-id']);
    });
    assert.deepEqual(
      events.map((event) => event.tags),
      [{ request_id: requestId }],
    );
  });

  test('404, 405, 400, 401 and an outage (503) send nothing', async () => {
    const { events, raw } = await tracked(async (t) => {
      const statuses = [];
      for (const request of [
        { method: 'GET', url: '/no-such-code-here' },
        { method: 'DELETE', url: '/healthz' },
        { method: 'GET', url: '/', headers: { host: 'evil.example' } },
        { method: 'GET', url: '/api/v1/me' },
        { method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer nope' } },
        { method: 'GET', url: '/outage' },
      ] as const) {
        statuses.push((await t.app.inject(request)).statusCode);
      }
      assert.deepEqual(statuses, [404, 405, 400, 401, 401, 503]);
    });
    assert.deepEqual(events, []);
    assert.equal(raw, '');
  });
});
