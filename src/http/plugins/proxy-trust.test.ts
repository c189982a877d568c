import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '#test/helpers/test-app.ts';

// inject() connects from 127.0.0.1, so TRUSTED_PROXIES decides whether this peer is a proxy.
const FORGED = {
  host: 'localhost',
  'x-forwarded-proto': 'https',
  'x-forwarded-for': '203.0.113.9',
  'x-forwarded-host': 'evil.example',
};

function ipOfLastRequest(lines: Record<string, unknown>[]): unknown {
  return lines.filter((entry) => entry.msg === 'request').at(-1)?.ip;
}

describe('proxy trust', () => {
  test('forwarded headers change nothing when proxy headers are not trusted', async () => {
    const t = await buildTestApp({ SECURE_SSL_REDIRECT: 'true', SECURE_HSTS_SECONDS: '3600' });
    try {
      const response = await t.app.inject({ url: '/', headers: FORGED });
      // Still seen as plain HTTP: redirected, no HSTS; the Host check saw localhost.
      assert.equal(response.statusCode, 301);
      assert.equal(response.headers.location, 'https://localhost/');
      assert.equal(response.headers['strict-transport-security'], undefined);
      assert.equal(ipOfLastRequest(t.logs.entries()), '127.0.0.1');
    } finally {
      await t.close();
    }
  });

  test('forwarded headers from an untrusted peer change nothing even with trust on', async () => {
    const t = await buildTestApp({
      TRUST_PROXY_HEADERS: 'true',
      TRUSTED_PROXIES: '10.0.0.0/8',
      SECURE_SSL_REDIRECT: 'true',
    });
    try {
      const response = await t.app.inject({ url: '/', headers: FORGED });
      assert.equal(response.statusCode, 301);
      assert.equal(ipOfLastRequest(t.logs.entries()), '127.0.0.1');
    } finally {
      await t.close();
    }
  });

  test('a trusted proxy is believed: scheme, client IP and host', async () => {
    const t = await buildTestApp({
      TRUST_PROXY_HEADERS: 'true',
      SECURE_SSL_REDIRECT: 'true',
      SECURE_HSTS_SECONDS: '3600',
      ALLOWED_HOSTS: 'hop.example.com',
    });
    try {
      const served = await t.app.inject({
        url: '/',
        headers: { ...FORGED, 'x-forwarded-host': 'hop.example.com' },
      });
      assert.equal(served.statusCode, 200);
      assert.equal(served.headers['strict-transport-security'], 'max-age=3600');
      assert.equal(ipOfLastRequest(t.logs.entries()), '203.0.113.9');

      // The forwarded host is what the Host check judges.
      const refused = await t.app.inject({ url: '/', headers: FORGED });
      assert.equal(refused.statusCode, 400);
    } finally {
      await t.close();
    }
  });
});

describe('HTTPS redirect', () => {
  test('plain HTTP is redirected to the same path and query, health probes are not', async () => {
    const t = await buildTestApp({ SECURE_SSL_REDIRECT: 'true' });
    try {
      const page = await t.app.inject({
        url: '/links?page=2',
        headers: { host: 'localhost:8000' },
      });
      assert.equal(page.statusCode, 301);
      assert.equal(page.headers.location, 'https://localhost/links?page=2');
      for (const url of ['/healthz', '/readyz']) {
        const probe = await t.app.inject({ url, headers: { host: 'localhost' } });
        assert.equal(probe.statusCode, 200, url);
      }
    } finally {
      await t.close();
    }
  });

  test('a disallowed Host gets 400, never a redirect to it', async () => {
    const t = await buildTestApp({ SECURE_SSL_REDIRECT: 'true' });
    try {
      const response = await t.app.inject({ url: '/', headers: { host: 'evil.example' } });
      assert.equal(response.statusCode, 400);
      assert.equal(response.headers.location, undefined);
    } finally {
      await t.close();
    }
  });
});
