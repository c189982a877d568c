import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';

const REPORT = {
  'csp-report': {
    'document-uri': 'https://hop.example.com/links?secret=1',
    'blocked-uri': 'https://cdn.evil.example/x.js',
    'violated-directive': "script-src 'self'",
    'script-sample': 'alert(document.cookie)',
  },
};

describe('/csp-report', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  test('accepts a browser report and logs a summary without query strings', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/csp-report',
      headers: { host: 'localhost', 'content-type': 'application/csp-report' },
      payload: JSON.stringify(REPORT),
    });
    assert.equal(response.statusCode, 204);
    const line = t.logs
      .entries()
      .find((entry) => entry.msg === 'content security policy violation');
    assert.deepEqual(line?.cspViolations, [
      {
        'document-uri': 'https://hop.example.com/links',
        'blocked-uri': 'https://cdn.evil.example/x.js',
        'violated-directive': "script-src 'self'",
      },
    ]);
  });

  test('accepts the Reporting API format', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/csp-report',
      headers: { host: 'localhost', 'content-type': 'application/reports+json' },
      payload: JSON.stringify([
        {
          type: 'csp-violation',
          body: { blockedURL: 'inline', effectiveDirective: 'script-src-elem' },
        },
      ]),
    });
    assert.equal(response.statusCode, 204);
  });

  test('refuses an oversized report with 413', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/csp-report',
      headers: { host: 'localhost', 'content-type': 'application/csp-report' },
      payload: JSON.stringify({ 'csp-report': { 'blocked-uri': 'x'.repeat(20_000) } }),
    });
    assert.equal(response.statusCode, 413);
  });

  test('is rate limited per client', async () => {
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/csp-report',
        headers: {
          host: 'localhost',
          'content-type': 'application/csp-report',
          'x-forwarded-for': '198.51.100.1',
        },
        payload: JSON.stringify(REPORT),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await send()).statusCode);
    assert.ok(statuses.includes(429), 'some reports were refused');
    const limited = await send();
    assert.equal(limited.statusCode, 429);
    assert.ok(limited.headers['ratelimit-limit'], 'RateLimit-* headers are sent');
    assert.ok(Number(limited.headers['retry-after']) > 0);
  });
});
