import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { applyMigrations } from '#src/db/migrator.ts';
import { listening } from '#test/helpers/smtp-server.ts';
import { createLink, createUser, type LinkFixture, type UserFixture } from '#test/factories.ts';
import { runHoplink, showRun } from '#test/helpers/cli.ts';
import { hoplinkArgv } from '#test/helpers/hoplink-command.ts';
import { PrivatePostgres, postgresServerInstalled } from '#test/helpers/postgres-server.ts';
import { PrivateRedis, redisServerInstalled } from '#test/helpers/redis-server.ts';
import { productionEnv, startServer, type ServeProcess } from '#test/helpers/spawn-server.ts';
import { until } from '#test/helpers/until.ts';
import { startWorker, WorkerProcess } from '#test/helpers/worker-process.ts';

const ready = redisServerInstalled() && postgresServerInstalled();

const secretWord = (label: string) => `${label}${randomBytes(12).toString('hex')}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * An SMTP server asking for a password, whose mood the test sets: accept, refuse the login, or
 * reject recipients as Postfix does, naming the address in the reply.
 */
function moodySmtpServer(password: string) {
  const state = { mood: 'accept' as 'accept' | 'refuse-login' | 'reject-recipients' };
  const delivered: string[] = [];
  const server = new SMTPServer({
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (state.mood === 'refuse-login' || auth.password !== password) {
        callback(new Error('Authentication credentials invalid'));
      } else callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      if (state.mood === 'reject-recipients') {
        const error = Object.assign(
          new Error(`<${address.address}>: Recipient address rejected: User unknown`),
          { responseCode: 550 },
        );
        callback(error);
      } else callback();
    },
    onData(stream, _session, callback) {
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('end', () => {
        delivered.push(body.replace(/=\r\n/g, ''));
        callback();
      });
    },
  });
  return {
    state,
    delivered,
    ...listening(server),
  };
}

/** A browser of sorts over a real socket: keeps cookies, sends Origin on POSTs. */
class Visitor {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(path, { method: 'GET', headers });
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    return this.send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.base },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** The CSRF token of the form on the page at `path`. */
  async csrfToken(path: string): Promise<string> {
    const page = await (await this.get(path)).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    assert.ok(token, `no form on ${path}`);
    return token;
  }

  private async send(
    path: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.base}${path}`, {
      ...init,
      headers: { ...init.headers, ...(cookie ? { cookie } : {}) },
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const equals = pair.indexOf('=');
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

/** `hoplink worker` spawned without waiting for its startup line (it may never print one). */
function spawnWorker(env: Record<string, string>): WorkerProcess {
  return new WorkerProcess(
    spawn(process.execPath, hoplinkArgv(['worker']), {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/**
 * Every process of a production instance (web and worker) while its database, Redis and SMTP
 * server fail in the ways an outage or a wrong setting makes them fail, with known secrets
 * travelling through it: not one line of their output may contain any of them.
 */
await describe(
  'no secret or personal data in the logs, whatever fails',
  ready ? {} : { skip: 'needs redis-server and PostgreSQL binaries (initdb) (see .ci/run)' },
  () => {
    const DB_PASSWORD = secretWord('dbpw');
    const REDIS_PASSWORD = secretWord('redispw');
    const SMTP_PASSWORD = secretWord('smtppw');
    const USER_PASSWORD = secretWord('userpw');
    const SEARCH_TERM = secretWord('searchterm');
    const EMAIL = `${secretWord('owner')}@example.com`;
    const REJECTED_EMAIL = `${secretWord('rejected')}@example.com`;

    let postgres: PrivatePostgres;
    let admin: pg.Client;
    /** The superuser, in Hoplink's database. */
    let superuser: pg.Client;
    let database: DatabaseHandle;
    let redis: PrivateRedis;
    let smtp: ReturnType<typeof moodySmtpServer>;
    let env: Record<string, string>;
    let serve: ServeProcess;
    let worker: WorkerProcess;
    const workers: WorkerProcess[] = [];
    let owner: UserFixture;
    let link: LinkFixture;
    let apiToken: string;
    let sessionToken = '';
    let sessionCookie = '';
    const resetTokens = new Set<string>();
    let redisUrl: string;
    const dataDir = mkdtempSync(join(tmpdir(), 'hoplink-log-secrets-'));

    const collectResetTokens = () => {
      for (const body of smtp.delivered) {
        for (const match of body.matchAll(/\/accounts\/reset\/([A-Za-z0-9_-]{20,})/g)) {
          resetTokens.add(match[1]!);
        }
      }
    };
    const api = (path: string) =>
      fetch(`${serve.url}${path}`, { headers: { authorization: `Bearer ${apiToken}` } });
    const requestReset = async (email: string) => {
      const visitor = new Visitor(serve.url);
      const csrf = await visitor.csrfToken('/accounts/password-reset');
      return visitor.post('/accounts/password-reset', { _csrf: csrf, email });
    };
    /** /readyz's verdict on Redis (a Redis outage may leave the instance ready, degraded). */
    const redisFailing = async () => {
      const body = (await (await fetch(`${serve.url}/readyz`)).json()) as {
        checks: Record<string, string>;
      };
      return body.checks.redis === 'failing';
    };
    const failsOnOurSide = async (response: Promise<Response>) => {
      const { status } = await response;
      assert.ok(status >= 500, `status ${String(status)}\n${serve.output()}`);
    };
    const output = () =>
      [serve.stdout, serve.stderr, ...workers.flatMap((each) => [each.stdout, each.stderr])].join(
        '\n',
      );
    const workerFailures = (pattern: RegExp) =>
      worker.stdout.split('\n').filter((line) => pattern.test(line)).length;

    before(async () => {
      postgres = await PrivatePostgres.start();
      admin = new pg.Client({ connectionString: postgres.url() });
      await admin.connect();
      await admin.query(`create role hoplink login password '${DB_PASSWORD}'`);
      await admin.query('create database hoplink owner hoplink');
      const databaseUrl = postgres.url('hoplink', 'hoplink', DB_PASSWORD);
      database = await openDatabase({ kind: 'postgres', url: databaseUrl, poolMax: 2 });
      await applyMigrations(database);
      superuser = new pg.Client({ connectionString: postgres.url('hoplink') });
      await superuser.connect();

      redis = await PrivateRedis.start();
      const client = new Redis(redis.url);
      await client.config('SET', 'requirepass', REDIS_PASSWORD);
      client.disconnect();
      redisUrl = `redis://:${REDIS_PASSWORD}@127.0.0.1:${String(redis.port)}`;

      smtp = moodySmtpServer(SMTP_PASSWORD);
      const smtpPort = await smtp.listen();

      env = {
        ...productionEnv(databaseUrl),
        REDIS_URL: redisUrl,
        EMAIL_URL: `smtp://hoplink:${SMTP_PASSWORD}@127.0.0.1:${String(smtpPort)}`,
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'debug',
        CLICK_FLUSH_INTERVAL: '100ms',
        DATA_DIR: dataDir,
      };
      owner = await createUser(database.db, { email: EMAIL, password: USER_PASSWORD });
      await createUser(database.db, { email: REJECTED_EMAIL });
      link = await createLink(database.db, { ownerId: owner.id });
      // The operator's way to mint a token; its stdout is the token, by design.
      const minted = await runHoplink(['token', 'create', '--email', EMAIL, '--name', 'ci'], {
        env,
      });
      assert.equal(minted.code, 0, showRun(minted));
      apiToken = minted.stdout.trim();

      serve = await startServer({ env });
      worker = await startWorker(env, ['email', 'clicks', 'default']);
      workers.push(worker);
    });

    after(async () => {
      serve.kill();
      for (const each of workers) each.child.kill('SIGKILL');
      await database.close();
      await superuser.end();
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
      await smtp.close();
      await redis.destroy();
      postgres.destroy();
    });

    test('healthy: a login, an API search, a reset link and a forged form on its page', async () => {
      const visitor = new Visitor(serve.url);
      const csrf = await visitor.csrfToken('/accounts/login');
      const login = await visitor.post('/accounts/login', {
        _csrf: csrf,
        login: EMAIL,
        password: USER_PASSWORD,
      });
      assert.equal(login.status, 303, serve.output());
      const signed = visitor.cookie('hoplink_session') ?? '';
      sessionCookie = `hoplink_session=${signed}`;
      sessionToken = decodeURIComponent(signed).replace(/\.[^.]+$/, '');
      assert.ok(sessionToken.length >= 32, `a session cookie: ${signed}`);
      assert.equal((await visitor.get('/accounts/profile')).status, 200);

      const search = await api(`/api/v1/links?q=${SEARCH_TERM}`);
      assert.equal(search.status, 200, await search.text());
      assert.equal((await fetch(`${serve.url}/${link.code}`, { redirect: 'manual' })).status, 302);

      assert.equal((await requestReset(EMAIL)).status, 303);
      await until(() => smtp.delivered.length > 0, `the reset email\n${worker.show()}`);
      collectResetTokens();
      const [resetToken] = resetTokens;
      assert.ok(resetToken, smtp.delivered[0]);
      const resetPage = new Visitor(serve.url);
      assert.equal((await resetPage.get(`/accounts/reset/${resetToken}`)).status, 200);
      const forged = await resetPage.post(`/accounts/reset/${resetToken}`, {
        _csrf: 'forged.token',
        newPassword: secretWord('new'),
      });
      assert.equal(forged.status, 403);
      // A browser reporting a CSP violation on that page names the page, token and all.
      const report = await fetch(`${serve.url}/csp-report`, {
        method: 'POST',
        headers: { 'content-type': 'application/csp-report' },
        body: JSON.stringify({
          'csp-report': {
            'document-uri': `https://hop.example.com/accounts/reset/${resetToken}`,
            'violated-directive': 'script-src',
          },
        }),
      });
      assert.equal(report.status, 204);
      await until(() => serve.stdout.includes('CSRF check failed'), 'the CSRF warning');
    });

    test('SMTP refusing the login, then rejecting the recipient by address', async () => {
      smtp.state.mood = 'refuse-login';
      const before = workerFailures(/send-password-reset-email \S+ failed/);
      assert.equal((await requestReset(EMAIL)).status, 303);
      await until(
        () => workerFailures(/send-password-reset-email \S+ failed/) > before,
        `the failed send\n${worker.show()}`,
      );
      smtp.state.mood = 'reject-recipients';
      const rejected = workerFailures(/send-password-reset-email \S+ failed/);
      assert.equal((await requestReset(REJECTED_EMAIL)).status, 303);
      await until(
        () => workerFailures(/send-password-reset-email \S+ failed/) > rejected,
        `the rejected recipient\n${worker.show()}`,
      );
      smtp.state.mood = 'accept';
      collectResetTokens();
    });

    test('Redis refusing the password: /readyz, redirects, a worker retrying and one starting', async () => {
      const client = new Redis(`${redisUrl}/0`);
      const rotated = secretWord('rotated');
      await client.config('SET', 'requirepass', rotated);
      // Connections already authenticated stay so; cut them to make every process log in again.
      await client.client('KILL', 'TYPE', 'normal').catch(() => undefined);
      client.disconnect();
      // A command already on its way when the connection was cut may still have been answered.
      await until(redisFailing, `/readyz seeing Redis fail\n${serve.output()}`);
      for (let i = 0; i < 3; i += 1) {
        assert.ok(await redisFailing());
        assert.equal(
          (await fetch(`${serve.url}/${link.code}`, { redirect: 'manual' })).status,
          302,
        );
      }
      const late = spawnWorker(env);
      workers.push(late);
      await until(
        () => /WRONGPASS|NOAUTH|Redis/.test(late.stdout + late.stderr),
        `the new worker's Redis failure\n${late.show()}`,
      );
      // Retries come every few seconds: let several of them happen.
      await sleep(5_000);
      assert.match(worker.stdout + worker.stderr, /WRONGPASS|NOAUTH/);

      const restore = new Redis(`redis://:${rotated}@127.0.0.1:${String(redis.port)}`);
      await restore.config('SET', 'requirepass', REDIS_PASSWORD);
      restore.disconnect();
      await until(async () => !(await redisFailing()), `Redis back for serve\n${serve.output()}`);
    });

    test('the database failing queries, then refusing the password', async () => {
      await superuser.query('alter table links rename to links_gone');
      await failsOnOurSide(api(`/api/v1/links?q=${SEARCH_TERM}`));
      await superuser.query('alter table sessions rename to sessions_gone');
      await superuser.query('alter table api_tokens rename to api_tokens_gone');
      await superuser.query('alter table users rename to users_gone');
      await failsOnOurSide(api('/api/v1/links'));
      await failsOnOurSide(
        fetch(`${serve.url}/accounts/profile`, { headers: { cookie: sessionCookie } }),
      );
      const login = new Visitor(serve.url);
      const csrf = await login.csrfToken('/accounts/login');
      const refused = await login.post('/accounts/login', {
        _csrf: csrf,
        login: EMAIL,
        password: USER_PASSWORD,
      });
      await failsOnOurSide(Promise.resolve(refused));
      await failsOnOurSide(requestReset(EMAIL));

      await admin.query(`alter role hoplink password '${secretWord('rotated')}'`);
      await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where usename = 'hoplink'",
      );
      for (let i = 0; i < 3; i += 1) {
        assert.equal((await fetch(`${serve.url}/readyz`)).status, 503);
        await failsOnOurSide(api('/api/v1/links'));
      }
      assert.match(serve.stdout, /"statusCode":500/);
    });

    test('no line of any process carries a secret, a token, its hash or an address', () => {
      collectResetTokens();
      const secrets: Record<string, string> = {
        SECRET_KEY: env.SECRET_KEY ?? '',
        'the Redis password': REDIS_PASSWORD,
        'the database password': DB_PASSWORD,
        'the SMTP password': SMTP_PASSWORD,
        "a user's password": USER_PASSWORD,
        'the API token': apiToken,
        'the API token (secret part)': apiToken.split('_').at(-1) ?? apiToken,
        'the session token': sessionToken,
        'a search term': SEARCH_TERM,
        'an email address': EMAIL,
        'a rejected email address': REJECTED_EMAIL,
      };
      for (const [name, token] of [
        ['the API token', apiToken],
        ['the session token', sessionToken],
        ...[...resetTokens].map((token, i) => [`reset token ${String(i)}`, token]),
      ] as const) {
        secrets[`${name}'s SHA-256 (hex)`] = sha256(token).toString('hex');
        secrets[`${name}'s SHA-256 (base64url)`] = sha256(token).toString('base64url');
      }
      [...resetTokens].forEach((token, i) => (secrets[`reset token ${String(i)}`] = token));
      assert.ok(resetTokens.size >= 1, 'reset tokens were minted and scanned for');

      const text = output();
      if (process.env.LOG_SECRETS_DUMP) writeFileSync(process.env.LOG_SECRETS_DUMP, text);
      const lowered = text.toLowerCase();
      const leaks = Object.entries(secrets)
        .filter(([, value]) => {
          assert.ok(value.length >= 8, 'every secret is known');
          return (
            lowered.includes(value.toLowerCase()) ||
            lowered.includes(encodeURIComponent(value).toLowerCase())
          );
        })
        .map(([name, value]) => {
          const line = text
            .split('\n')
            .find((each) => each.toLowerCase().includes(value.toLowerCase()));
          return `${name} in: ${line?.slice(0, 600) ?? '(encoded)'}`;
        });
      assert.deepEqual(leaks, [], `secrets in the logs:\n${leaks.join('\n')}`);
    });
  },
);
