import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { generate } from 'selfsigned';
import { spawnServe, type ServeProcess } from '#test/helpers/spawn-server.ts';

/** What a TLS client saw: the negotiated protocol and suite, or the handshake's error. */
type Handshake =
  | { readonly ok: true; readonly protocol: string | null; readonly cipher: string }
  | { readonly ok: false; readonly error: string };

/** Connects, completes (or fails) the handshake, and hangs up; bounded by `timeoutMs`. */
function handshake(url: string, options: ConnectionOptions, timeoutMs = 5_000): Promise<Handshake> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connectTls({ host: hostname, port: Number(port), ...options });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: `no handshake within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, error: error.code ?? error.message });
    });
  });
}

/** Opens a TCP connection, sends nothing, and resolves when the server closes it (or not). */
function idleConnection(url: string, withinMs: number): Promise<'closed' | 'still open'> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connectTcp(Number(port), hostname);
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('still open');
    }, withinMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

function hstsHeader(url: string, ca: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      `${url}/healthz`,
      { ca, servername: 'localhost', headers: { host: 'localhost' }, timeout: 5_000 },
      (response) => {
        response.resume();
        resolve(response.headers['strict-transport-security']);
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
  });
}

const TLS12 = { maxVersion: 'TLSv1.2' } as const;
const STARTUP_TIMEOUT_MS = 90_000;

describe('serve over TLS: the intermediate profile', { timeout: 240_000 }, () => {
  let directory = '';
  const servers: Record<'ecdsa' | 'rsa', { server: ServeProcess; cert: string } | undefined> = {
    ecdsa: undefined,
    rsa: undefined,
  };
  const target = (kind: 'ecdsa' | 'rsa') => {
    const entry = servers[kind];
    assert.ok(entry, `the ${kind} server did not start`);
    return { url: entry.server.url, trust: { ca: entry.cert, servername: 'localhost' } };
  };

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'hoplink-tls-profile-'));
    await Promise.all(
      (['ecdsa', 'rsa'] as const).map(async (kind) => {
        const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
          keyType: kind === 'ecdsa' ? 'ec' : 'rsa',
          ...(kind === 'rsa' ? { keySize: 2048 } : {}),
          algorithm: 'sha256',
          extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
        });
        const certPath = join(directory, `${kind}-cert.pem`);
        const keyPath = join(directory, `${kind}-key.pem`);
        writeFileSync(certPath, pems.cert);
        writeFileSync(keyPath, pems.private, { mode: 0o600 });
        const server = spawnServe({ env: { SERVER_TLS_CERT: certPath, SERVER_TLS_KEY: keyPath } });
        servers[kind] = { server, cert: pems.cert };
        // Two embedded databases start side by side: give them longer than one would need.
        await server.ready(STARTUP_TIMEOUT_MS);
      }),
    );
  });
  after(async () => {
    for (const entry of Object.values(servers)) await entry?.server.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  const refused = [
    { kind: 'rsa', cipher: 'AES128-SHA', why: 'static RSA key exchange, CBC' },
    { kind: 'rsa', cipher: 'AES256-GCM-SHA384', why: 'static RSA key exchange' },
    { kind: 'rsa', cipher: 'ECDHE-RSA-AES128-SHA', why: 'CBC' },
    { kind: 'rsa', cipher: 'ECDHE-RSA-AES256-SHA384', why: 'CBC' },
    { kind: 'ecdsa', cipher: 'ECDHE-ECDSA-AES128-SHA', why: 'CBC' },
    { kind: 'ecdsa', cipher: 'ECDHE-ECDSA-AES128-SHA256', why: 'CBC' },
  ] as const;
  for (const { kind, cipher, why } of refused) {
    test(`refuses ${cipher} on TLS 1.2 (${why}; ${kind} certificate)`, async () => {
      const { url, trust } = target(kind);
      const result = await handshake(url, { ...trust, ...TLS12, ciphers: cipher });
      assert.equal(result.ok, false, `${cipher} was accepted: ${JSON.stringify(result)}`);
    });
  }

  const accepted = [
    { kind: 'ecdsa', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
    { kind: 'ecdsa', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' },
    { kind: 'ecdsa', cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305' },
    { kind: 'rsa', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' },
    { kind: 'rsa', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' },
    { kind: 'rsa', cipher: 'ECDHE-RSA-CHACHA20-POLY1305' },
  ] as const;
  for (const { kind, cipher } of accepted) {
    test(`accepts ${cipher} on TLS 1.2 (${kind} certificate)`, async () => {
      const { url, trust } = target(kind);
      const result = await handshake(url, { ...trust, ...TLS12, ciphers: cipher });
      assert.deepEqual(result, { ok: true, protocol: 'TLSv1.2', cipher });
    });
  }

  test('lets the client choose among the allowed suites', async () => {
    const { url, trust } = target('ecdsa');
    // A client without AES hardware puts ChaCha20 first; with server order it would get AES.
    const ciphers = 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256';
    const result = await handshake(url, { ...trust, ...TLS12, ciphers });
    assert.deepEqual(result, {
      ok: true,
      protocol: 'TLSv1.2',
      cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305',
    });
  });

  test('negotiates TLS 1.3 with a default client, on either certificate', async () => {
    for (const kind of ['ecdsa', 'rsa'] as const) {
      const { url, trust } = target(kind);
      const result = await handshake(url, trust);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.protocol, 'TLSv1.3');
    }
  });

  test('refuses TLS 1.1', async () => {
    const { url, trust } = target('rsa');
    // The client must lower its own floor (and OpenSSL 3's security level) to even offer it.
    const result = await handshake(url, {
      ...trust,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    assert.equal(result.ok, false, JSON.stringify(result));
  });

  test('drops a connection that never starts its handshake, well before 120 s', async () => {
    const { url, trust } = target('ecdsa');
    assert.equal(await idleConnection(url, 30_000), 'closed');
    // The server is still there for everyone else.
    assert.equal((await handshake(url, trust)).ok, true);
  });

  test('sends HSTS without preload unless SECURE_HSTS_PRELOAD says so', async () => {
    const { url, trust } = target('rsa');
    assert.equal(await hstsHeader(url, trust.ca), 'max-age=31536000; includeSubDomains');
  });
});
