import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { builtAssets } from '#test/helpers/static-assets.ts';
import { productionEnv, spawnServe } from '#test/helpers/spawn-server.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { chooseEncoding } from './static-files.ts';

const HOST = { host: 'localhost' };
const emptyDir = mkdtempSync(join(tmpdir(), 'hoplink-no-static-'));
after(() => {
  rmSync(emptyDir, { recursive: true, force: true });
});

describe('chooseEncoding', () => {
  const all = ['br', 'gzip', 'identity'] as const;
  const cases: [string | undefined, readonly ('br' | 'gzip' | 'identity')[], string][] = [
    ['gzip, deflate, br', all, 'br'],
    ['gzip, deflate', all, 'gzip'],
    ['GZIP', all, 'gzip'],
    ['x-gzip', all, 'gzip'],
    ['br;q=0, gzip', all, 'gzip'],
    ['gzip;q=0.8, br;q=0.2', all, 'gzip'],
    ['*', all, 'br'],
    ['*;q=0, identity', all, 'identity'],
    ['deflate', all, 'identity'],
    ['', all, 'identity'],
    [undefined, all, 'identity'],
    ['br, gzip', ['identity'], 'identity'],
    ['br', ['gzip', 'identity'], 'identity'],
  ];
  for (const [header, available, expected] of cases) {
    test(`${JSON.stringify(header)} with ${available.join('+')} → ${expected}`, () => {
      assert.equal(chooseEncoding(header, available), expected);
    });
  }
});

describe('/static/ from a build (production and tests with STATIC_ROOT)', () => {
  const built = builtAssets();
  const css = built.manifest['app.css'];
  const cssBytes = readFileSync(join(built.outDir, css));
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ STATIC_ROOT: built.outDir });
  });
  after(() => t.close());

  const get = (url: string, acceptEncoding?: string, method: 'GET' | 'HEAD' = 'GET') =>
    t.app.inject({
      method,
      url,
      headers: {
        ...HOST,
        ...(acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding }),
      },
    });

  function assertImmutable(headers: Record<string, unknown>, type: RegExp): void {
    assert.equal(headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(headers.vary, 'accept-encoding');
    assert.match(String(headers['content-type']), type);
  }

  test('brotli when the browser accepts it, with immutable caching', async () => {
    const response = await get(`/static/${css}`, 'gzip, deflate, br');
    assert.equal(response.statusCode, 200);
    assertImmutable(response.headers, /^text\/css; charset=utf-8$/);
    assert.equal(response.headers['content-encoding'], 'br');
    assert.equal(Number(response.headers['content-length']), response.rawPayload.byteLength);
    assert.ok(response.rawPayload.byteLength < cssBytes.byteLength, 'compressed is smaller');
    assert.deepEqual(brotliDecompressSync(response.rawPayload), cssBytes);
  });

  test('gzip when brotli is not accepted', async () => {
    const response = await get(`/static/${css}`, 'gzip, deflate');
    assertImmutable(response.headers, /^text\/css/);
    assert.equal(response.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(response.rawPayload), cssBytes);
  });

  test('identity without Accept-Encoding', async () => {
    const response = await get(`/static/${css}`);
    assertImmutable(response.headers, /^text\/css/);
    assert.equal(response.headers['content-encoding'], undefined);
    assert.equal(Number(response.headers['content-length']), cssBytes.byteLength);
    assert.deepEqual(response.rawPayload, cssBytes);
  });

  test('scripts and the icon get their own types', async () => {
    const script = await get(`/static/${built.manifest['app.js']}`, 'br');
    assertImmutable(script.headers, /^text\/javascript; charset=utf-8$/);
    const icon = await get(`/static/${built.manifest['favicon.svg']}`);
    assertImmutable(icon.headers, /^image\/svg\+xml$/);
    assert.match(icon.body, /^<svg/);
  });

  test('HEAD: the same headers, no body', async () => {
    const response = await get(`/static/${css}`, 'br', 'HEAD');
    assert.equal(response.statusCode, 200);
    assertImmutable(response.headers, /^text\/css/);
    assert.equal(response.headers['content-encoding'], 'br');
    assert.ok(Number(response.headers['content-length']) > 0);
    assert.equal(response.rawPayload.byteLength, 0);
  });

  test('security headers apply to assets too', async () => {
    const response = await get(`/static/${css}`);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
  });

  const missing = [
    ['an unknown name', '/static/app.0000000000.css'],
    ['the logical name (development URLs do not exist here)', '/static/app.css'],
    ['the manifest itself', '/static/manifest.json'],
    ['a precompressed sibling by name', `/static/${css}.br`],
    ['a parent directory, encoded', '/static/..%2Fpackage.json'],
    ['a parent directory, dotted', '/static/%2e%2e%2F%2e%2e%2Fpackage.json'],
    ['a parent directory, plain', '/static/../../package.json'],
    ['a nested path', `/static/x/${css}`],
    ['an absolute path', '/static/%2Fetc%2Fpasswd'],
    ['a NUL byte', `/static/${css}%00.js`],
  ] as const;
  for (const [what, url] of missing) {
    test(`404 for ${what}`, async () => {
      const response = await get(url);
      assert.equal(response.statusCode, 404, url);
      assert.match(String(response.headers['content-type']), /text\/html/);
      assert.notEqual(response.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.doesNotMatch(response.body, /"name"|root:|--accent/);
    });
  }

  test('pages link the hashed names', async () => {
    const response = await get('/no/such/page');
    assert.equal(response.statusCode, 404);
    assert.match(
      response.body,
      new RegExp(`<link rel="stylesheet" href="/static/${css.replaceAll('.', '\\.')}">`),
    );
  });
});

describe('/static/ built live (development, and tests without a build)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ STATIC_ROOT: emptyDir });
  });
  after(() => t.close());

  test('stable names, revalidated every time, 304 when unchanged', async () => {
    const response = await t.app.inject({ url: '/static/app.css', headers: HOST });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.match(String(response.headers['content-type']), /^text\/css/);
    assert.match(response.body, /--accent:/);
    const etag = String(response.headers.etag);
    assert.match(etag, /^"[\w-]+"$/);

    const again = await t.app.inject({
      url: '/static/app.css',
      headers: { ...HOST, 'if-none-match': etag },
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
  });

  test('scripts are readable, with a source map', async () => {
    const response = await t.app.inject({ url: '/static/app.js', headers: HOST });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/javascript/);
    assert.match(response.body, /sourceMappingURL=data:/);
  });

  test('only asset names are served', async () => {
    for (const url of ['/static/app.ts', '/static/tsconfig.json', '/static/..%2Fapp.css']) {
      const response = await t.app.inject({ url, headers: HOST });
      assert.equal(response.statusCode, 404, url);
    }
  });

  test('pages link the stable names', async () => {
    const response = await t.app.inject({ url: '/no/such/page', headers: HOST });
    assert.match(response.body, /<link rel="stylesheet" href="\/static\/app\.css">/);
    assert.match(response.body, /<script src="\/static\/theme\.js"><\/script>/);
  });
});

describe('production without a build', () => {
  test('serve refuses to start, saying what to run', { timeout: 30_000 }, async () => {
    const server = spawnServe({
      env: { ...productionEnv('postgres://hoplink@127.0.0.1:5432/unused'), STATIC_ROOT: emptyDir },
    });
    const exit = await server.waitForExit();
    assert.equal(exit.code, 1, server.output());
    assert.match(
      server.stderr,
      /Hoplink cannot start: no built assets: .*manifest\.json does not exist/,
    );
    assert.match(server.stderr, /hoplink build/);
  });
});
