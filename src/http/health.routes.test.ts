import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';

describe('health endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  test('/healthz answers 200 and is never cached', async () => {
    const response = await t.app.inject({ url: '/healthz', headers: { host: 'localhost' } });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  test('/readyz reports each dependency', async () => {
    const response = await t.app.inject({ url: '/readyz', headers: { host: 'localhost' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json<{ status: string }>().status, 'ok');
  });
});
