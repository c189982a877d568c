import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { runHoplink, runInProcess, showRun, type CliRun } from '#test/helpers/cli.ts';
import { POSTGRES_ADMIN_URL, postgresReachable } from '#test/helpers/database.ts';
import { PrivatePostgres, postgresServerInstalled } from '#test/helpers/postgres-server.ts';
import { PrivateRedis, redisServerInstalled } from '#test/helpers/redis-server.ts';
import { redisReachable, TEST_REDIS_URL } from '#test/helpers/redis.ts';
import { describeListenFailure } from './dependency-failure.ts';

const postgresUp = await postgresReachable();
const redisUp = await redisReachable();
const secret = (label: string) => `${label}${randomBytes(10).toString('hex')}`;
const DB_PASSWORD = secret('dbpw');
const REDIS_PASSWORD = secret('redispw');
const SMTP_PASSWORD = secret('smtppw');

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Production settings whose services all sit on closed ports unless a test points one elsewhere. */
async function productionEnv(overrides: Record<string, string> = {}) {
  return {
    NODE_ENV: 'production',
    SECRET_KEY: randomBytes(48).toString('base64url'),
    ALLOWED_HOSTS: 'hop.example.com',
    SITE_URL: 'https://hop.example.com',
    DATABASE_URL: `postgres://hoplink:${DB_PASSWORD}@127.0.0.1:${String(await closedPort())}/hopdb`,
    REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${String(await closedPort())}`,
    EMAIL_URL: `smtp://hoplink:${SMTP_PASSWORD}@127.0.0.1:${String(await closedPort())}`,
    LOG_FORMAT: 'json',
    ...overrides,
  };
}

/**
 * What an operator must see when a dependency cannot be used: exit 1, one message of at most two
 * lines matching `says`, no stack trace and no password.
 */
function assertClearFailure(run: CliRun, says: RegExp): void {
  const output = run.stdout + run.stderr;
  assert.equal(run.code, 1, showRun(run));
  assert.match(run.stderr, says, showRun(run));
  assert.doesNotMatch(output, /^\s+at /m, `a stack trace:\n${showRun(run)}`);
  assert.ok(run.stderr.trim().split('\n').length <= 2, `more than two lines:\n${showRun(run)}`);
  for (const password of [DB_PASSWORD, REDIS_PASSWORD, SMTP_PASSWORD]) {
    assert.ok(!output.includes(password), `a password in the output:\n${showRun(run)}`);
  }
}

describe('commands whose database cannot be used say why in a line or two', () => {
  test('migrate: nothing listens on the port', async () => {
    const env = await productionEnv();
    const port = new URL(env.DATABASE_URL).port;
    const run = await runInProcess(['migrate'], { env });
    assertClearFailure(
      run,
      new RegExp(
        `^hoplink: cannot use the database "hopdb" on 127\\.0\\.0\\.1:${port}: connection refused\\.\\n  Check DATABASE_URL: is the PostgreSQL server running`,
      ),
    );
  });

  test('migrate: a server that never answers (timeout)', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const run = await runInProcess(['migrate'], {
        env: await productionEnv({
          DATABASE_URL: `postgres://hoplink:${DB_PASSWORD}@127.0.0.1:${String(port)}/hopdb`,
        }),
      });
      assertClearFailure(run, /on 127\.0\.0\.1:\d+: no answer in time \(timeout\)\.\n.*firewall/);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test(
    'migrate: a missing database',
    { skip: postgresUp ? false : 'PostgreSQL is not reachable' },
    async () => {
      const url = new URL(POSTGRES_ADMIN_URL);
      const name = `hoplink_missing_${randomBytes(4).toString('hex')}`;
      url.pathname = `/${name}`;
      url.password = DB_PASSWORD;
      const run = await runInProcess(['migrate'], {
        env: await productionEnv({ DATABASE_URL: url.toString() }),
      });
      assertClearFailure(
        run,
        new RegExp(
          `cannot use the database "${name}" on ${url.hostname}:${url.port || '5432'}: the database does not exist\\.\\n.*createdb ${name}`,
        ),
      );
    },
  );

  test(
    'migrate: a role that does not exist',
    { skip: postgresUp ? false : 'PostgreSQL is not reachable' },
    async () => {
      const url = new URL(POSTGRES_ADMIN_URL);
      const role = `hoplink_nobody_${randomBytes(4).toString('hex')}`;
      url.username = role;
      url.password = DB_PASSWORD;
      const run = await runInProcess(['migrate'], {
        env: await productionEnv({ DATABASE_URL: url.toString() }),
      });
      assertClearFailure(
        run,
        new RegExp(
          `^hoplink: cannot use the database "${url.pathname.slice(1)}" on ${url.hostname}:${url.port || '5432'}: the role \\(user\\) does not exist\\.\\n  Check DATABASE_URL: the user name, or create the role \\(createuser ${role}\\)\\.\\n$`,
        ),
      );
    },
  );

  describe(
    'with password authentication',
    { skip: postgresServerInstalled() ? false : 'no PostgreSQL binaries (initdb)' },
    () => {
      let server: PrivatePostgres;
      before(async () => {
        server = await PrivatePostgres.start();
      });
      after(() => {
        server.destroy();
      });

      test('migrate: a wrong password', async () => {
        const run = await runInProcess(['migrate'], {
          env: await productionEnv({
            DATABASE_URL: server.url('postgres', 'postgres', DB_PASSWORD),
          }),
        });
        assertClearFailure(
          run,
          new RegExp(
            `cannot use the database "postgres" on 127\\.0\\.0\\.1:${String(server.port)}: password authentication failed\\.\\n  Check DATABASE_URL: the user "postgres" and the password in it\\.`,
          ),
        );
        assert.ok(!run.stderr.includes(server.password));
      });
    },
  );

  test('token, createsuperuser and worker: the same message', async () => {
    const env = await productionEnv();
    const says =
      /^hoplink: cannot use the database "hopdb" on 127\.0\.0\.1:\d+: connection refused\./;
    const [token, createsuperuser, worker] = await Promise.all([
      runInProcess(['token', 'create', '--email', 'a@example.com', '--name', 'ci'], { env }),
      runInProcess(['createsuperuser', '--email', 'a@example.com', '--username', 'admin'], {
        env,
        input: `${secret('pw')}\n`,
      }),
      // The worker checks Redis first: this one answers. Then its container's logger writes to
      // the process's stdout, not the invocation's (decision 0025): only a process shows it all.
      redisUp ? runHoplink(['worker'], { env: { ...env, REDIS_URL: TEST_REDIS_URL } }) : null,
    ]);
    assertClearFailure(token, says);
    assertClearFailure(createsuperuser, says);
    if (worker) assertClearFailure(worker, says);
  });
});

// The worker fails before it has a logger (or a signal handler): in-process runs see all it prints.
describe('the worker, when Redis cannot be used, says so and exits', () => {
  test('nothing listens on the port', async () => {
    const env = await productionEnv();
    const port = new URL(env.REDIS_URL).port;
    assertClearFailure(
      await runInProcess(['worker'], { env }),
      new RegExp(
        `^hoplink: cannot use Redis at 127\\.0\\.0\\.1:${port}: connection refused\\.\\n  Check REDIS_URL`,
      ),
    );
  });

  test(
    'a wrong password',
    { skip: redisServerInstalled() ? false : 'no redis-server' },
    async () => {
      const redis = await PrivateRedis.start();
      try {
        const client = new Redis(redis.url);
        await client.config('SET', 'requirepass', secret('right'));
        client.disconnect();
        const run = await runInProcess(['worker'], {
          env: await productionEnv({
            REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${String(redis.port)}`,
          }),
        });
        assertClearFailure(
          run,
          /cannot use Redis at 127\.0\.0\.1:\d+: the server refused the login\.\n {2}Check REDIS_URL: the user and the password in it\./,
        );
      } finally {
        await redis.destroy();
      }
    },
  );
});

test('send-test-email: an SMTP server nobody runs', async () => {
  const env = await productionEnv();
  const port = new URL(env.EMAIL_URL).port;
  assertClearFailure(
    await runInProcess(['send-test-email', 'ops@example.com'], { env }),
    new RegExp(
      `^could not send to ops@example\\.com: cannot use the SMTP server at 127\\.0\\.0\\.1:${port}: connection refused\\.\\n  Check EMAIL_URL`,
    ),
  );
});

test('check --deploy notes an unreachable database and carries on', async () => {
  const run = await runInProcess(['check', '--deploy'], { env: await productionEnv() });
  assert.doesNotMatch(run.stdout + run.stderr, /^\s+at /m, showRun(run));
  assert.match(run.stdout, /INFO hoplink\.I001 DATABASE_URL: the database could not be reached/);
  assert.ok(!(run.stdout + run.stderr).includes(DB_PASSWORD));
});

test('serve: why it cannot listen, in one line, by the error code', () => {
  const failure = (code: string) => Object.assign(new Error(`listen ${code}`), { code });
  assert.equal(
    describeListenFailure('0.0.0.0', 80, failure('EACCES')),
    'cannot listen on 0.0.0.0:80: not allowed (ports below 1024 need privileges). Choose another port with --port or SERVER_PORT.',
  );
  assert.match(
    describeListenFailure('::1', 8000, failure('EADDRINUSE')) ?? '',
    /^cannot listen on \[::1\]:8000: the address is already in use/,
  );
  assert.match(
    describeListenFailure('10.9.9.9', 8000, failure('EADDRNOTAVAIL')) ?? '',
    /not an address of this machine\. Check --host or SERVER_HOST\.$/,
  );
  assert.equal(describeListenFailure('127.0.0.1', 8000, new Error('a bug')), null);
});
