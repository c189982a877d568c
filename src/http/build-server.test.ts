import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';

/** Headers SPEC §3 requires on every response, whatever its status or type. */
function assertSecurityHeaders(headers: Record<string, unknown>, what: string): void {
  const csp = headers['content-security-policy'];
  assert.equal(typeof csp, 'string', `${what}: CSP present`);
  assert.match(csp as string, /default-src 'self'/, `${what}: CSP default-src`);
  assert.match(csp as string, /script-src 'self'(;|$)/, `${what}: CSP script-src`);
  assert.doesNotMatch(
    csp as string,
    /unsafe-inline|unsafe-eval/,
    `${what}: no unsafe script sources`,
  );
  assert.match(csp as string, /frame-ancestors 'none'/, `${what}: frame-ancestors`);
  assert.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(headers['x-frame-options'], 'DENY', `${what}: X-Frame-Options`);
  assert.equal(
    headers['referrer-policy'],
    'strict-origin-when-cross-origin',
    `${what}: Referrer-Policy`,
  );
  assert.equal(headers['cross-origin-opener-policy'], 'same-origin', `${what}: COOP`);
  assert.match(String(headers['x-request-id']), /^[0-9a-f-]{36}$/, `${what}: X-Request-Id`);
  assert.equal(headers['x-powered-by'], undefined, `${what}: no X-Powered-By`);
  assert.equal(headers.server, undefined, `${what}: no Server`);
}

describe('every response carries the security headers', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  const cases = [
    { what: 'HTML page', method: 'GET', url: '/', status: 200, type: /text\/html/ },
    { what: 'JSON health', method: 'GET', url: '/healthz', status: 200, type: /application\/json/ },
    { what: 'HTML 404', method: 'GET', url: '/no/such/page', status: 404, type: /text\/html/ },
    {
      what: 'JSON 404',
      method: 'GET',
      url: '/api/v1/nothing',
      status: 404,
      type: /application\/json/,
    },
    { what: 'HTML 405', method: 'DELETE', url: '/', status: 405, type: /text\/html/ },
  ] as const;
  for (const { what, method, url, status, type } of cases) {
    test(what, async () => {
      const response = await t.app.inject({ method, url, headers: { host: 'localhost' } });
      assert.equal(response.statusCode, status);
      assert.match(String(response.headers['content-type']), type);
      assertSecurityHeaders(response.headers, what);
    });
  }

  test('on a refused Host too', async () => {
    const response = await t.app.inject({ url: '/', headers: { host: 'evil.example' } });
    assert.equal(response.statusCode, 400);
    assertSecurityHeaders(response.headers, 'disallowed host');
  });

  test('on a malformed URL handled by the framework', async () => {
    const response = await t.app.inject({ url: '/%E0%A4%A', headers: { host: 'localhost' } });
    assert.equal(response.statusCode, 400);
    assertSecurityHeaders(response.headers, 'bad URL');
    assert.doesNotMatch(response.body, /fastify|FST_/i);
  });

  test('no HSTS over plain HTTP even when configured', async () => {
    const hsts = await buildTestApp({ SECURE_HSTS_SECONDS: '3600' });
    try {
      const response = await hsts.app.inject({ url: '/', headers: { host: 'localhost' } });
      assert.equal(response.headers['strict-transport-security'], undefined);
    } finally {
      await hsts.close();
    }
  });
});

describe('request ids', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  test('a valid incoming X-Request-Id is kept and logged', async () => {
    const response = await t.app.inject({
      url: '/',
      headers: { host: 'localhost', 'x-request-id': 'edge-1234abcd' },
    });
    assert.equal(response.headers['x-request-id'], 'edge-1234abcd');
    const line = t.logs
      .entries()
      .find((entry) => entry.msg === 'request' && entry.requestId === 'edge-1234abcd');
    assert.ok(line, 'the request line carries the incoming id');
  });

  test('an invalid one is replaced', async () => {
    const response = await t.app.inject({
      url: '/',
      headers: { host: 'localhost', 'x-request-id': 'bad id\u0007<script>' },
    });
    assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});

describe('the CSP can be trialled in report-only mode', () => {
  test('CSP_REPORT_ONLY swaps the header name', async () => {
    const t = await buildTestApp({ CSP_REPORT_ONLY: 'true' });
    try {
      const response = await t.app.inject({ url: '/', headers: { host: 'localhost' } });
      assert.equal(response.headers['content-security-policy'], undefined);
      assert.match(
        String(response.headers['content-security-policy-report-only']),
        /report-uri \/csp-report/,
      );
    } finally {
      await t.close();
    }
  });
});
