import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'selfsigned';
import {
  createTestDatabase,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { runHoplink, showRun } from '#test/helpers/cli.ts';
import { productionEnv, spawnServe, startServer } from '#test/helpers/spawn-server.ts';
import { until } from '#test/helpers/until.ts';

// Production and several workers need PostgreSQL (the embedded database is single-process).
const postgres = await postgresReachable();
const NEEDS_POSTGRES = postgres
  ? {}
  : { skip: 'PostgreSQL is not reachable (see test/helpers/database.ts)' };
let database: TestDatabase | undefined;
before(async () => {
  if (postgres) database = await createTestDatabase('postgres');
});
after(async () => {
  await database?.drop();
});
/** For a server that refuses to start: it never connects. */
const UNUSED_DATABASE = 'postgres://hoplink@127.0.0.1:5432/unused';
const databaseUrl = () => database?.url ?? UNUSED_DATABASE;

interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function get(url: string, options: https.RequestOptions = {}): Promise<Response> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      `${url}/healthz`,
      { headers: { host: 'localhost' }, timeout: 5_000, ...options },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
  });
}

describe('serve: the TLS matrix', () => {
  let directory = '';
  let cert = '';
  let certPath = '';
  let keyPath = '';

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'hoplink-tls-'));
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    cert = pems.cert;
    certPath = join(directory, 'cert.pem');
    keyPath = join(directory, 'key.pem');
    writeFileSync(certPath, pems.cert);
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
  });
  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  for (const profile of ['development', 'production'] as const) {
    const options = { timeout: 90_000, ...(profile === 'production' ? NEEDS_POSTGRES : {}) };
    const profileEnv = () => (profile === 'production' ? productionEnv(databaseUrl()) : {});
    test(`${profile}, certificate and key: serves HTTPS with HSTS`, options, async () => {
      const server = await startServer({
        env: { ...profileEnv(), SERVER_TLS_CERT: certPath, SERVER_TLS_KEY: keyPath },
      });
      try {
        assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        assert.match(server.stdout, /TLS on/);
        const response = await get(server.url, { ca: cert, servername: 'localhost' });
        assert.equal(response.status, 200);
        assert.match(String(response.headers['strict-transport-security']), /^max-age=31536000/);
      } finally {
        assert.deepEqual(await server.stop(), { code: 0, signal: null });
      }
    });

    test(`${profile}, neither: serves plain HTTP`, options, async () => {
      const server = await startServer({ env: profileEnv() });
      try {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.match(
          server.stdout,
          new RegExp(`profile ${profile}, 1 worker, TLS off, database [^,]+, queue \\w+\\)`),
        );
        const response = await get(server.url);
        assert.equal(response.status, 200);
        assert.equal(response.headers['strict-transport-security'], undefined);
      } finally {
        assert.deepEqual(await server.stop(), { code: 0, signal: null });
      }
    });
  }

  test(
    'healthcheck answers 0 while the server serves, over HTTP and HTTPS, and 1 once it stops',
    { timeout: 120_000 },
    async () => {
      for (const tls of [false, true]) {
        const tlsEnv: Record<string, string> = tls
          ? { SERVER_TLS_CERT: certPath, SERVER_TLS_KEY: keyPath }
          : {};
        const server = await startServer({ env: tlsEnv });
        // The probe reads the same settings as the server; the port is the one it got.
        const env = { ...tlsEnv, SERVER_PORT: new URL(server.url).port };
        const healthy = await runHoplink(['healthcheck'], { env });
        assert.equal(healthy.code, 0, showRun(healthy));
        assert.deepEqual(await server.stop(), { code: 0, signal: null });
        const stopped = await runHoplink(['healthcheck'], { env });
        assert.equal(stopped.code, 1, showRun(stopped));
        const scheme = tls ? 'https' : 'http';
        assert.match(
          stopped.stderr,
          new RegExp(`web unhealthy: ${scheme}://127\\.0\\.0\\.1:\\d+/healthz`),
        );
      }
    },
  );

  test(
    'production, half a pair: refuses to start, naming the missing file',
    { timeout: 90_000 },
    async () => {
      const server = spawnServe({
        env: { ...productionEnv(UNUSED_DATABASE), SERVER_TLS_CERT: certPath },
      });
      assert.deepEqual(await server.waitForExit(), { code: 1, signal: null });
      assert.match(server.stderr, /ERROR hoplink\.E006 SERVER_TLS_KEY/);
      assert.doesNotMatch(server.stdout, /listening on/);
    },
  );

  test('development, half a pair: warns and serves plain HTTP', { timeout: 90_000 }, async () => {
    const server = await startServer({ env: { SERVER_TLS_CERT: certPath } });
    try {
      assert.match(server.stderr, /WARNING hoplink\.E006 SERVER_TLS_KEY/);
      assert.match(server.url, /^http:/);
      assert.equal((await get(server.url)).status, 200);
    } finally {
      assert.deepEqual(await server.stop(), { code: 0, signal: null });
    }
  });

  test('flags override the environment', { timeout: 90_000, ...NEEDS_POSTGRES }, async () => {
    const server = await startServer({
      env: { SERVER_PORT: '1', WEB_CONCURRENCY: '1', DATABASE_URL: databaseUrl() },
      args: ['--port', '0', '--workers', '2', '--tls-cert', certPath, '--tls-key', keyPath],
    });
    try {
      assert.match(server.url, /^https:/);
      assert.match(server.stdout, /2 workers, TLS on/);
      assert.equal((await get(server.url, { ca: cert, servername: 'localhost' })).status, 200);
    } finally {
      assert.deepEqual(await server.stop(), { code: 0, signal: null });
    }
  });
});

test(
  'production refuses to start listing every problem, without the secret',
  { timeout: 90_000 },
  async () => {
    const secret = 'tiny-secret-value-9f3c';
    const server = spawnServe({
      env: {
        ...productionEnv(UNUSED_DATABASE),
        SECRET_KEY: secret,
        ALLOWED_HOSTS: '*',
        DEBUG: 'true',
      },
    });
    assert.deepEqual(await server.waitForExit(), { code: 1, signal: null });
    for (const id of ['hoplink.E002', 'hoplink.E004', 'hoplink.E005'])
      assert.match(server.stderr, new RegExp(id));
    assert.match(server.stderr, /cannot start: 3 configuration errors/);
    assert.ok(
      !server.stdout.includes(secret) && !server.stderr.includes(secret),
      'the secret was printed',
    );
  },
);

/** Opens a raw connection; resolves once connected, rejects with the connect error. */
function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * A request made slow from the client side (the app has no slow route): `POST /csp-report` with
 * only half its body sent. It asks `Expect: 100-continue`, so the server's interim answer says
 * when the request is in flight (its headers parsed, the route waiting for the body).
 * `finish()` sends the rest; `response` is what the server wrote after the interim answer.
 */
const CONTINUE = /^HTTP\/1\.1 100 Continue\r\n\r\n/;

async function slowRequest(
  url: string,
): Promise<{ finish: () => void; response: Promise<string> }> {
  const body = JSON.stringify({
    'csp-report': { 'document-uri': 'http://localhost/', 'violated-directive': 'script-src' },
  });
  const half = Math.floor(body.length / 2);
  const socket = await openSocket(url);
  let raw = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
  socket.on('error', () => undefined); // a forced close may reset it: `response` tells
  const response = new Promise<string>((resolve) => {
    socket.once('close', () => {
      resolve(raw.replace(CONTINUE, ''));
    });
  });
  socket.write(
    `POST /csp-report HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/csp-report\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
  );
  await until(() => CONTINUE.test(raw), 'the server to take the request (100 Continue)', 10_000);
  socket.write(body.slice(0, half));
  const finish = () => {
    socket.end(body.slice(half));
  };
  return { finish, response };
}

test(
  'SIGTERM: stops accepting, finishes the request in flight, exits 0',
  { timeout: 90_000 },
  async () => {
    const server = await startServer();
    try {
      const request = await slowRequest(server.url);
      server.signal('SIGTERM');
      await sleep(100);
      server.signal('SIGTERM'); // a repeated signal changes nothing
      await until(
        () =>
          openSocket(server.url).then(
            (socket) => {
              socket.destroy();
              return false;
            },
            (error: unknown) => (error as NodeJS.ErrnoException).code === 'ECONNREFUSED',
          ),
        'the listener to close',
        10_000,
      );
      request.finish();
      const response = await request.response;
      assert.match(response, /^HTTP\/1\.1 204 /);
      assert.match(response, /\r\nconnection: close\r\n/i);
      assert.deepEqual(await server.waitForExit(), { code: 0, signal: null });
      assert.match(server.stdout, /SIGTERM: already stopping/);
    } finally {
      server.kill();
    }
  },
);

test(
  'SIGTERM: a request still running at SERVER_SHUTDOWN_TIMEOUT is cut, exit 1',
  { timeout: 90_000 },
  async () => {
    const server = await startServer({ env: { SERVER_SHUTDOWN_TIMEOUT: '1s' } });
    try {
      const request = await slowRequest(server.url);
      server.signal('SIGTERM');
      assert.deepEqual(await server.waitForExit(), { code: 1, signal: null });
      assert.equal(await request.response, '');
      assert.match(server.stdout, /shutdown timeout passed with requests in flight/);
    } finally {
      server.kill();
    }
  },
);

test(
  'SIGHUP: replaces every worker without failing a request',
  { timeout: 150_000, ...NEEDS_POSTGRES },
  async () => {
    const server = await startServer({
      env: { WEB_CONCURRENCY: '2', DATABASE_URL: databaseUrl(), LOG_FORMAT: 'json' },
    });
    try {
      const before = server.workerPids();
      assert.equal(before.length, 2);
      let ok = 0;
      const failures: string[] = [];
      let reloaded = false;
      const startedAt = Date.now();
      const client = async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        while (Date.now() - startedAt < 4_000 || (!reloaded && Date.now() - startedAt < 70_000)) {
          try {
            const response = await get(server.url, { agent });
            if (response.status === 200) ok += 1;
            else failures.push(`status ${response.status}`);
          } catch (error) {
            failures.push((error as Error).message);
          }
        }
        agent.destroy();
      };
      const clients = Array.from({ length: 8 }, client);
      await sleep(1_000);
      const since = server.stdout.length;
      server.signal('SIGHUP');
      await server.waitForOutput(/reload complete: 2 workers replaced/, {
        since,
        timeoutMs: 60_000,
      });
      await sleep(500); // a little load on the new workers too
      reloaded = true;
      await Promise.all(clients);

      assert.deepEqual(failures, []);
      assert.ok(ok > 100, `only ${ok} requests were served`);
      const afterReload = server.workerPids();
      assert.equal(afterReload.length, 2);
      assert.deepEqual(
        afterReload.filter((pid) => before.includes(pid)),
        [],
      );
      assert.deepEqual(await server.stop(), { code: 0, signal: null });
    } finally {
      server.kill();
    }
  },
);

test(
  'a killed worker is replaced and the server keeps answering',
  { timeout: 90_000, ...NEEDS_POSTGRES },
  async () => {
    const server = await startServer({
      env: { WEB_CONCURRENCY: '2', DATABASE_URL: databaseUrl() },
    });
    try {
      const [victim, survivor] = server.workerPids();
      assert.ok(victim && survivor);
      const since = server.stdout.length;
      process.kill(victim, 'SIGKILL');
      await server.waitForOutput(new RegExp(`worker ${victim} exited with signal SIGKILL`), {
        since,
      });
      assert.equal((await get(server.url, { agent: false })).status, 200);

      await server.waitForOutput(new RegExp(`worker \\d+ replaced worker ${victim}`), { since });
      const workers = server.workerPids();
      assert.equal(workers.length, 2);
      assert.ok(workers.includes(survivor) && !workers.includes(victim));
      for (let i = 0; i < 6; i += 1)
        assert.equal((await get(server.url, { agent: false })).status, 200);
      assert.deepEqual(await server.stop(), { code: 0, signal: null });
    } finally {
      server.kill();
    }
  },
);

test('WEB_HEAP_LIMIT caps each web worker heap; 0 keeps Node default', async () => {
  const workerArgs = (server: Awaited<ReturnType<typeof startServer>>) =>
    server
      .workerPids()
      .map((pid) => execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }));
  const limited = await startServer({ env: { WEB_HEAP_LIMIT: '64MiB' } });
  try {
    const args = workerArgs(limited);
    assert.equal(args.length, 1);
    assert.match(args[0] ?? '', /--max-old-space-size=64(\s|$)/);
  } finally {
    await limited.stop();
  }
  const unlimited = await startServer({ env: { WEB_HEAP_LIMIT: '0' } });
  try {
    assert.doesNotMatch(workerArgs(unlimited).join('\n'), /--max-old-space-size/);
  } finally {
    await unlimited.stop();
  }
});
