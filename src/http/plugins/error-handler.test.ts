import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  ForbiddenError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from '#src/lib/errors.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { errorHandlerPlugin } from './error-handler.ts';

const SECRET_IN_EXCEPTION = 'db password is hunter2 at /srv/hoplink/internal.ts';

/**
 * Routes that fail in each way a real route can; the error handler must map every one. The
 * /api/test ones sit in a scope of their own with the JSON handler, as the real API scope does.
 */
function failingRoutes(app: FastifyInstance): void {
  void app.register(
    async (api) => {
      await api.register(errorHandlerPlugin, { debug: false, format: 'json' });
      api.get('/boom', () => {
        throw new Error(SECRET_IN_EXCEPTION);
      });
      api.get('/private', () => {
        throw new UnauthorizedError();
      });
      api.get('/forbidden', () => {
        throw new ForbiddenError();
      });
      api.get('/limited', () => {
        throw new RateLimitedError();
      });
      api.post(
        '/echo',
        {
          schema: {
            body: { type: 'object', required: ['url'], properties: { url: { type: 'string' } } },
          },
        },
        (request) => request.body,
      );
      api.post('/invalid', () => {
        throw new ValidationError('Some fields are not valid.', [
          { field: 'url', message: 'must be http or https' },
        ]);
      });
    },
    { prefix: '/api/test' },
  );
  app.get('/boom', () => {
    throw new Error(SECRET_IN_EXCEPTION);
  });
  app.get('/forbidden', () => {
    throw new ForbiddenError();
  });
}

interface ApiError {
  error: { code: string; message: string; details?: unknown; requestId: string };
}

describe('API errors are JSON in the SPEC format, with the right status', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ SERVER_BODY_LIMIT: '1KiB' }, failingRoutes);
  });
  after(() => t.close());

  const host = { host: 'localhost' };
  const cases = [
    {
      status: 400,
      code: 'bad_request',
      request: {
        method: 'POST',
        url: '/api/test/echo',
        headers: { ...host, 'content-type': 'application/json' },
        payload: '{"url":',
      },
    },
    {
      status: 400,
      code: 'validation_failed',
      request: { method: 'POST', url: '/api/test/echo', headers: host, payload: { nourl: 1 } },
    },
    {
      status: 400,
      code: 'validation_failed',
      request: { method: 'POST', url: '/api/test/invalid', headers: host, payload: {} },
    },
    {
      status: 401,
      code: 'unauthorized',
      request: { method: 'GET', url: '/api/test/private', headers: host },
    },
    {
      status: 403,
      code: 'forbidden',
      request: { method: 'GET', url: '/api/test/forbidden', headers: host },
    },
    {
      status: 404,
      code: 'not_found',
      request: { method: 'GET', url: '/api/v1/missing', headers: host },
    },
    {
      status: 405,
      code: 'method_not_allowed',
      request: { method: 'DELETE', url: '/api/test/private', headers: host },
    },
    {
      status: 413,
      code: 'payload_too_large',
      request: {
        method: 'POST',
        url: '/api/test/echo',
        headers: host,
        payload: { url: 'x'.repeat(2048) },
      },
    },
    {
      status: 415,
      code: 'unsupported_media_type',
      request: {
        method: 'POST',
        url: '/api/test/echo',
        headers: { ...host, 'content-type': 'application/x-unknown' },
        payload: 'x',
      },
    },
    {
      status: 429,
      code: 'rate_limited',
      request: { method: 'GET', url: '/api/test/limited', headers: host },
    },
    {
      status: 500,
      code: 'internal_error',
      request: { method: 'GET', url: '/api/test/boom', headers: host },
    },
  ] as const;

  for (const { status, code, request } of cases) {
    test(`${status} ${code} (${request.method} ${request.url})`, async () => {
      const response = await t.app.inject(request);
      assert.equal(response.statusCode, status);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const body = response.json<ApiError>();
      assert.equal(body.error.code, code);
      assert.equal(typeof body.error.message, 'string');
      assert.equal(body.error.requestId, response.headers['x-request-id']);
      assert.doesNotMatch(
        response.body,
        /fastify|FST_|hunter2|\.ts:|at .*\(/i,
        'nothing internal leaks',
      );
    });
  }

  test('validation errors name the fields', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/test/invalid',
      headers: host,
      payload: {},
    });
    assert.deepEqual(response.json<ApiError>().error.details, [
      { field: 'url', message: 'must be http or https' },
    ]);
  });

  test('405 says which methods are allowed', async () => {
    const response = await t.app.inject({
      method: 'DELETE',
      url: '/api/test/private',
      headers: host,
    });
    assert.equal(response.headers.allow, 'GET, HEAD');
  });

  test('429 says when to retry', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/test/limited', headers: host });
    assert.ok(Number(response.headers['retry-after']) > 0);
  });

  test('a 500 is logged with its stack and request id, once', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/test/boom', headers: host });
    const requestId = response.headers['x-request-id'];
    const errors = t.logs
      .entries()
      .filter((entry) => entry.requestId === requestId && entry.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(JSON.stringify(errors[0]), /hunter2/, 'the operator sees the real error');
  });
});

describe('UI errors are friendly pages', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({}, failingRoutes);
  });
  after(() => t.close());

  for (const [url, status, heading] of [
    ['/forbidden', 403, 'Forbidden'],
    ['/nowhere', 404, 'Not found'],
    ['/boom', 500, 'Something went wrong'],
  ] as const) {
    test(`${status} at ${url}`, async () => {
      const response = await t.app.inject({ url, headers: { host: 'localhost' } });
      assert.equal(response.statusCode, status);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.body, new RegExp(`<h1>${heading}</h1>`));
      assert.ok(
        response.body.includes(String(response.headers['x-request-id'])),
        'shows the reference',
      );
      assert.doesNotMatch(response.body, /fastify|hunter2|\.ts:|<pre>/i);
    });
  }
});

describe('with DEBUG on, the error page shows the detail', () => {
  test('development detail page', async () => {
    const t = await buildTestApp({ DEBUG: 'true' }, failingRoutes);
    try {
      const response = await t.app.inject({ url: '/boom', headers: { host: 'localhost' } });
      assert.equal(response.statusCode, 500);
      assert.match(response.body, /<pre>Error: db password is hunter2/);
    } finally {
      await t.close();
    }
  });
});
