import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApiToken, createUser } from '#test/factories.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';

describe('/api/v1 rate limits', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ API_RATE_LIMIT: '3' });
  });
  after(() => t.close());

  test('RateLimit-* headers on every answer, then 429 with Retry-After, per token', async () => {
    const user = await createUser((await sharedDatabase()).db);
    const first = await createApiToken(t.container.apiTokens, user.id);
    const second = await createApiToken(t.container.apiTokens, user.id);
    const call = (authorization: string, url = '/api/v1/me') =>
      t.app.inject({ method: 'GET', url, headers: { authorization } });

    const remaining: string[] = [];
    for (const url of ['/api/v1/me', '/api/v1/links', '/api/v1/links/not-a-link']) {
      const response = await call(first.authorization, url);
      assert.equal(response.headers['ratelimit-limit'], '3', url);
      assert.ok(Number(response.headers['ratelimit-reset']) > 0, url);
      remaining.push(String(response.headers['ratelimit-remaining']));
    }
    assert.deepEqual(remaining, ['2', '1', '0'], 'errors (the 404) count and carry the headers');

    const limited = await call(first.authorization);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.headers['ratelimit-remaining'], '0');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    const body = limited.json<{ error: { code: string; requestId: string } }>();
    assert.equal(body.error.code, 'rate_limited');
    assert.equal(body.error.requestId, limited.headers['x-request-id']);

    const other = await call(second.authorization);
    assert.equal(other.statusCode, 200, 'another token has its own budget');
    assert.equal(other.headers['ratelimit-remaining'], '2');
  });

  test('without a valid token the budget is per IP, and 401s count', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        remoteAddress: '198.51.100.7',
        headers: { authorization: 'Bearer hop_abcdefgh_00000000000000000000000000000000' },
      });
      assert.equal(response.headers['ratelimit-limit'], '3');
      statuses.push(response.statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    const elsewhere = await t.app.inject({
      method: 'GET',
      url: '/api/v1/openapi.json',
      remoteAddress: '198.51.100.8',
    });
    assert.equal(elsewhere.statusCode, 200);
  });
});
