import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { createHostMatcher } from './allowed-hosts.ts';

describe('createHostMatcher', () => {
  const allowed = createHostMatcher([
    'hop.example.com',
    '.example.org',
    '127.0.0.1',
    '[::1]',
    '10.0.0.0/8',
    'fd00::/8',
  ]);
  const cases: [string, boolean][] = [
    ['hop.example.com', true],
    ['HOP.Example.COM:8443', true],
    ['hop.example.com.', true],
    ['other.example.com', false],
    ['example.org', true],
    ['a.b.example.org', true],
    ['badexample.org', false],
    ['127.0.0.1:8000', true],
    ['[::1]:8000', true],
    ['10.1.2.3', true],
    ['11.1.2.3', false],
    ['[fd12::1]:80', true],
    ['evil.example', false],
    ['', false],
    ['hop.example.com@evil.example', false],
    ['hop.example.com/evil', false],
    ['10.1.2.3.evil.example', false],
  ];
  for (const [host, expected] of cases) {
    test(`${host || '(empty)'} → ${expected ? 'allowed' : 'refused'}`, () => {
      assert.equal(allowed(host), expected);
    });
  }
});

describe('the Host check on the running app', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ ALLOWED_HOSTS: 'hop.example.com,10.0.0.0/8' });
  });
  after(() => t.close());

  test('an unknown Host gets 400 before any route runs, as a page', async () => {
    const response = await t.app.inject({ url: '/', headers: { host: 'evil.example' } });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /<h1>Bad request<\/h1>/);
    assert.doesNotMatch(response.body, /evil\.example/);
  });

  test('on the API the refusal is JSON', async () => {
    const response = await t.app.inject({ url: '/api/v1/me', headers: { host: 'evil.example' } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'disallowed_host');
  });

  test('an allowed Host is served', async () => {
    const response = await t.app.inject({ url: '/', headers: { host: 'hop.example.com' } });
    assert.equal(response.statusCode, 200);
  });

  test('an IP host inside a CIDR entry is served (health checks by IP)', async () => {
    const response = await t.app.inject({ url: '/readyz', headers: { host: '10.0.3.7:8000' } });
    assert.equal(response.statusCode, 200);
  });

  test('/healthz is exempt', async () => {
    const response = await t.app.inject({ url: '/healthz', headers: { host: '172.17.0.5:8000' } });
    assert.equal(response.statusCode, 200);
  });

  test('the refusal is logged as a warning with the offending host', async () => {
    await t.app.inject({ url: '/', headers: { host: 'logged.example' } });
    const warning = t.logs.entries().find((entry) => entry.host === 'logged.example');
    assert.equal(warning?.level, 'warn');
  });
});
