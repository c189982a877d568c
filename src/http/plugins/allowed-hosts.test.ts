import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { createHostMatcher, hostLineCount } from './allowed-hosts.ts';

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
    ['hop.example.com:1', true],
    ['hop.example.com:65535', true],
    ['hop.example.com:65536', false],
    ['hop.example.com:99999', false],
    ['hop.example.com:0', false],
    ['hop.example.com:08000', false],
    ['hop.example.com:', false],
    ['hop.example.com:abc', false],
    ['hop.example.com:80:80', false],
    ['hop.example.com:-1', false],
    ['[::1]:99999', false],
    ['[::1]:', false],
    ['user@hop.example.com', false],
    ['user:pass@hop.example.com', false],
    ['hop.example.com?x', false],
    ['hop.example.com#x', false],
    ['hop.example.com\\evil', false],
    ['hop.example.com%2fevil', false],
    ['hop.example.com evil', false],
    ['hop.example.com, evil.example', false],
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

describe('hostLineCount', () => {
  test('counts Host lines in any case, and only names (not values)', () => {
    assert.equal(hostLineCount(['Host', 'a', 'Accept', 'host']), 1);
    assert.equal(hostLineCount(['Host', 'a', 'HOST', 'b', 'x-host', 'c']), 2);
    assert.equal(hostLineCount([]), 0);
  });
});

/** Sends `head` as written (no client library to tidy it) and returns the status code. */
function rawRequest(port: number, head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(head));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1];
      if (status === undefined) reject(new Error(`no status line in ${JSON.stringify(text)}`));
      else resolve(Number(status));
    });
  });
}

// Node's parser keeps the first of two Host lines and drops the other, and inject cannot send
// two: only a real socket shows what a client (or a confused proxy in front) can do.
describe('the Host header on a real socket', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await buildTestApp({ ALLOWED_HOSTS: 'hop.example.com,10.0.0.0/8' });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    port = address.port;
  });
  after(() => t.close());

  const request = (path: string, ...hostLines: string[]) =>
    rawRequest(
      port,
      `GET ${path} HTTP/1.1\r\n${hostLines.map((host) => `Host: ${host}\r\n`).join('')}Connection: close\r\n\r\n`,
    );

  test('one allowed Host is served', async () => {
    assert.equal(await request('/', 'hop.example.com'), 200);
    assert.equal(await request('/', 'hop.example.com:8443'), 200);
  });

  test('two Host lines are a 400, whichever comes first and even when they agree', async () => {
    assert.equal(await request('/', 'hop.example.com', 'evil.example'), 400);
    assert.equal(await request('/', 'evil.example', 'hop.example.com'), 400);
    assert.equal(await request('/', 'hop.example.com', 'hop.example.com'), 400);
    assert.equal(await request('/api/v1/me', 'hop.example.com', 'evil.example'), 400);
  });

  test('/healthz is exempt from the list, not from the one-Host rule', async () => {
    assert.equal(await request('/healthz', '172.17.0.5:8000'), 200);
    assert.equal(await request('/healthz', '172.17.0.5:8000', 'evil.example'), 400);
  });

  test('the refusal is logged as a warning', async () => {
    const before = t.logs.entries().length;
    await request('/links', 'hop.example.com', 'evil.example');
    const warnings = t.logs
      .entries()
      .slice(before)
      .filter((entry) => entry.level === 'warn');
    assert.ok(warnings.some((entry) => String(entry.msg).includes('more than one Host')));
  });

  const malformed = [
    'hop.example.com:99999',
    'hop.example.com:0',
    'hop.example.com:',
    'hop.example.com:abc',
    'user@hop.example.com',
    'hop.example.com/path',
    'hop.example.com?q',
  ];
  for (const host of malformed) {
    test(`Host: ${host} is a 400`, async () => {
      assert.equal(await request('/', host), 400);
    });
  }
});
