import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';

describe('CORS on the API scope only, from the allowlist only', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ CORS_ALLOWED_ORIGINS: 'https://dash.example.com' }, (app) => {
      // A page route at the root, outside the API scope: it must get no CORS headers.
      app.get('/page', () => 'page');
    });
  });
  after(() => t.close());

  test('an allowed origin is echoed, with no credentials', async () => {
    const response = await t.app.inject({
      url: '/api/v1/openapi.json',
      headers: { host: 'localhost', origin: 'https://dash.example.com' },
    });
    assert.equal(response.headers['access-control-allow-origin'], 'https://dash.example.com');
    assert.equal(response.headers['access-control-allow-credentials'], undefined);
    assert.match(String(response.headers.vary), /Origin/);
  });

  test('another origin gets no CORS headers', async () => {
    const response = await t.app.inject({
      url: '/api/v1/openapi.json',
      headers: { host: 'localhost', origin: 'https://evil.example' },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  test('a preflight from an allowed origin succeeds', async () => {
    const response = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/openapi.json',
      headers: {
        host: 'localhost',
        origin: 'https://dash.example.com',
        'access-control-request-method': 'POST',
      },
    });
    assert.equal(response.statusCode, 204);
    assert.match(String(response.headers['access-control-allow-methods']), /POST/);
    assert.match(String(response.headers['access-control-allow-headers']), /Authorization/);
  });

  test('a preflight from another origin is refused', async () => {
    const response = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/openapi.json',
      headers: {
        host: 'localhost',
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
      },
    });
    assert.equal(response.statusCode, 403);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  test('pages never get CORS headers', async () => {
    const response = await t.app.inject({
      url: '/page',
      headers: { host: 'localhost', origin: 'https://dash.example.com' },
    });
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });
});
