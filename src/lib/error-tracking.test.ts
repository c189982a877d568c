import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { startSentryStandIn } from '#test/helpers/sentry-stand-in.ts';
import { sharedDatabase } from '#test/helpers/test-app.ts';
import {
  isTrackingErrors,
  reportError,
  scrubBreadcrumb,
  scrubEvent,
  startErrorTracking,
  type ErrorTrackingOptions,
} from './error-tracking.ts';

// Made at run time: a value written in this file would reach the stand-in in a stack frame's
// source lines (which the SDK sends), and the test would find its own text.
const secret = (label: string) => `${label}${randomBytes(10).toString('hex')}`;

type Payload = Record<string, unknown>;
interface Exception {
  type: string;
  value: string;
  stacktrace?: { frames: { filename?: string; in_app?: boolean }[] };
}

let standIn: Awaited<ReturnType<typeof startSentryStandIn>>;
before(async () => {
  standIn = await startSentryStandIn();
});
after(() => standIn.close());

/** Runs `work` with tracking started, closes it (which flushes), and returns what was sent. */
async function sent(
  work: () => void | Promise<void>,
  options: Partial<ErrorTrackingOptions> = {},
): Promise<{ events: Payload[]; raw: string }> {
  const from = standIn.envelopes.length;
  const tracking = await startErrorTracking({
    dsn: standIn.dsn,
    release: 'hoplink@9.9.9',
    environment: 'staging',
    tracesSampleRate: 0,
    ...options,
  });
  try {
    await work();
  } finally {
    await tracking.close(2_000);
  }
  const envelopes = standIn.envelopes.slice(from);
  return {
    events: envelopes.flatMap((envelope) =>
      envelope.items.filter((item) => item.type === 'event').map((item) => item.payload),
    ),
    raw: envelopes.map((envelope) => envelope.raw).join('\n'),
  };
}

function exceptionsOf(event: Payload | undefined): Exception[] {
  return (event?.exception as { values: Exception[] } | undefined)?.values ?? [];
}

function assertAbsent(text: string, ...values: string[]): void {
  for (const value of values) assert.ok(!text.includes(value), `${value} was sent:\n${text}`);
}

async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  assert.fail('expected a failure');
}

describe('reporting', () => {
  test('nothing is reported unless tracking was started, nor once it is closed', async () => {
    assert.equal(isTrackingErrors(), false);
    reportError(new Error('before any start'));
    const { events } = await sent(() => {
      assert.equal(isTrackingErrors(), true);
    });
    assert.equal(isTrackingErrors(), false);
    const count = standIn.envelopes.length;
    reportError(new Error('after the close'));
    assert.deepEqual(events, []);
    assert.equal(standIn.envelopes.length, count);
  });

  test('a failed query is sent as the logs show it: its table and frames, never its parameters', async () => {
    const { db } = await sharedDatabase();
    const parameter = secret('param');
    const error = await failureOf(() => db.execute(sql`select ${parameter}::uuid from users`));
    assert.ok((error as Error).message.includes(parameter), 'the driver quotes it');
    const { events, raw } = await sent(() => {
      reportError(error);
    });
    assert.equal(events.length, 1);
    const [outer] = exceptionsOf(events[0]).slice(-1);
    assert.ok(outer);
    assert.match(outer.value, /^failed query: select users$/);
    assert.ok(
      outer.stacktrace?.frames.some(
        (frame) => frame.in_app && frame.filename?.endsWith('error-tracking.test.ts'),
      ),
      'the frames of this file are kept',
    );
    assertAbsent(raw, parameter);
    const context = (events[0]?.contexts as Record<string, Record<string, unknown>>).error;
    assert.equal(context?.dependency, 'postgres');
  });

  test("causes go along, scrubbed as log messages are; the thrown object's own properties do not", async () => {
    const password = secret('pw');
    const address = `${secret('someone')}@example.com`;
    const token = randomBytes(24).toString('base64url');
    const cause = Object.assign(
      new Error(`cannot reach postgres://hoplink:${password}@db:5432/hoplink for ${address}`),
      { code: 'ECONNREFUSED', config: { password } },
    );
    const error = new Error(`sending the reset link ${token} failed`, { cause });
    const { events, raw } = await sent(() => {
      reportError(error);
    });
    assert.equal(events.length, 1);
    const values = exceptionsOf(events[0]).map((value) => value.value);
    assert.equal(values.length, 2, 'the error and its cause');
    assert.ok(values.some((value) => value.includes('postgres://[REDACTED]@db:5432')));
    assert.ok(values.some((value) => value.includes('[email]')));
    assertAbsent(raw, password, address, token);
  });

  test('the release, the environment, the tags and the masked request are on the event; no user', async () => {
    const { events } = await sent(
      () => {
        reportError(new Error('boom'), {
          tags: { request_id: 'req-1', job: 'send-welcome-email' },
          request: { method: 'POST', url: '/accounts/reset/abc?token=t&limit=5' },
        });
      },
      { release: 'hoplink@1.2.3', environment: 'eu-prod' },
    );
    assert.equal(events.length, 1);
    const [event] = events;
    assert.ok(event);
    assert.equal(event.release, 'hoplink@1.2.3');
    assert.equal(event.environment, 'eu-prod');
    assert.deepEqual(event.tags, { request_id: 'req-1', job: 'send-welcome-email' });
    assert.deepEqual(event.request, {
      method: 'POST',
      url: '/accounts/reset/[REDACTED]?token=[REDACTED]&limit=5',
    });
    assert.equal(event.user, undefined);
  });

  test('a thrown non-error is sent as its scrubbed text', async () => {
    const token = randomBytes(24).toString('base64url');
    const { events, raw } = await sent(() => {
      reportError(`gave up on ${token}`);
    });
    assert.equal(exceptionsOf(events[0])[0]?.value, 'gave up on [REDACTED]');
    assertAbsent(raw, token);
  });
});

describe('the last pass over what is sent (beforeSend)', () => {
  test('the request keeps its method, masked URL and a few headers; the rest is dropped', () => {
    const cookie = secret('cookie');
    const bearer = secret('bearer');
    const query = secret('query');
    const event = scrubEvent({
      user: { ip_address: '203.0.113.9', email: 'someone@example.com' },
      request: {
        method: 'GET',
        url: `https://hop.example.com/links?q=${query}&cursor=abc`,
        query_string: `q=${query}&cursor=abc`,
        cookies: { hoplink_session: cookie },
        headers: {
          Cookie: `hoplink_session=${cookie}`,
          Authorization: `Bearer ${bearer}`,
          'X-Api-Key': bearer,
          'User-Agent': 'curl/8.0',
          Accept: 'text/html',
          Referer: `https://hop.example.com/accounts/reset/${query}`,
        },
        data: { password: bearer },
        env: { REMOTE_ADDR: '203.0.113.9' },
      },
    });
    assert.deepEqual(event, {
      request: {
        method: 'GET',
        url: 'https://hop.example.com/links?q=[REDACTED]&cursor=abc',
        query_string: 'q=[REDACTED]&cursor=abc',
        headers: {
          accept: 'text/html',
          referer: 'https://hop.example.com/accounts/reset/[REDACTED]',
        },
      },
    });
  });

  test('span names and URL attributes are masked; header, query and client attributes dropped; ids kept', () => {
    const token = secret('token');
    const traceId = randomBytes(16).toString('hex');
    const event = scrubEvent({
      type: 'transaction',
      transaction: `GET /accounts/reset/${token}`,
      contexts: {
        trace: {
          trace_id: traceId,
          span_id: 'a63313ee1ed0445c',
          data: {
            'url.full': `http://hop.example.com/x?token=${token}`,
            'http.target': `/x?token=${token}`,
            'url.query': `token=${token}`,
            'http.request.header.cookie': token,
            'http.method': 'GET',
            'net.peer.ip': '203.0.113.9',
            'http.client_ip': '203.0.113.9',
            'http.user_agent': 'curl/8.0',
          },
        },
      },
      spans: [
        {
          span_id: 'b63313ee1ed0445c',
          trace_id: traceId,
          start_timestamp: 0,
          description: `GET https://api.example.com/v1?key=${token}`,
          data: { 'http.url': `https://api.example.com/v1?key=${token}` },
        },
      ],
    });
    assertAbsent(JSON.stringify(event), token);
    assert.equal(event.transaction, 'GET /accounts/reset/[REDACTED]');
    assert.deepEqual(event.contexts.trace.data, {
      'url.full': 'http://hop.example.com/x?token=[REDACTED]',
      'http.target': '/x?token=[REDACTED]',
      'http.method': 'GET',
    });
    assert.equal(event.contexts.trace.trace_id, traceId);
    assert.equal(event.spans[0]?.description, 'GET https://api.example.com/v1?key=[REDACTED]');
  });

  test('console breadcrumbs are dropped; others lose what a log line would', () => {
    assert.equal(scrubBreadcrumb({ category: 'console', message: 'anything' }), null);
    const token = randomBytes(24).toString('base64url');
    assert.deepEqual(
      scrubBreadcrumb({
        category: 'http',
        message: `fetched for someone@example.com with ${token}`,
        data: { url: `https://api.example.com/v1?key=${token}`, status_code: 200 },
      }),
      {
        category: 'http',
        message: 'fetched for [email] with [REDACTED]',
        data: { url: 'https://api.example.com/v1?key=[REDACTED]', status_code: 200 },
      },
    );
  });
});
