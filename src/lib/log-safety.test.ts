import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { POSTGRES_ADMIN_URL, postgresReachable } from '#test/helpers/database.ts';
import { PrivatePostgres, postgresServerInstalled } from '#test/helpers/postgres-server.ts';
import { PrivateRedis, redisServerInstalled } from '#test/helpers/redis-server.ts';
import { connectionFailure } from './connection-failure.ts';
import {
  describeQuery,
  formatError,
  maskUrl,
  scrubText,
  serializeError,
  type SafeError,
} from './log-safety.ts';
import { createLogger } from './logger.ts';

const secret = (label: string) => `${label}${randomBytes(10).toString('hex')}`;

/** The rejection of `work`, which must reject. */
async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  assert.fail('expected a failure');
}

/** The error as a JSON log line carries it, and that line's text. */
function logged(error: unknown): { line: { err: SafeError }; text: string } {
  let text = '';
  const destination = { write: (line: string) => (text += line) };
  createLogger({ level: 'info', format: 'json', destination }).error({ err: error }, 'x');
  return { line: JSON.parse(text) as { err: SafeError }, text };
}

function assertAbsent(text: string, ...values: string[]): void {
  for (const value of values) assert.ok(!text.includes(value), `${value} leaked:\n${text}`);
}

/** A closed port: bound, then released. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const postgres = await postgresReachable();

describe('errors of the PostgreSQL clients', () => {
  test(
    'a query failing on PostgreSQL through Drizzle: keyword, table and code, no parameter',
    {
      skip: postgres ? false : 'PostgreSQL is not reachable',
    },
    async () => {
      const email = `${secret('someone')}@example.com`;
      const hash = randomBytes(32).toString('hex');
      const pool = new pg.Pool({ connectionString: POSTGRES_ADMIN_URL, max: 1 });
      try {
        const db = drizzlePg({ client: pool });
        const error = await failureOf(() =>
          db.execute(
            sql`select "id" from "no_such_sessions" where "token_hash" = ${hash} and "email" = ${email}`,
          ),
        );
        const { line, text } = logged(error);
        assertAbsent(text, email, hash, 'token_hash');
        assert.equal(line.err.type, 'DrizzleQueryError');
        assert.equal(line.err.message, 'failed query: select no_such_sessions');
        assert.equal(line.err.dependency, 'postgres');
        assert.equal(line.err.query, 'select no_such_sessions');
        assert.equal(line.err.cause?.code, '42P01');
        assert.equal(line.err.cause.message, 'relation "no_such_sessions" does not exist');
        assert.match(
          line.err.stack ?? '',
          /^DrizzleQueryError: failed query: select no_such_sessions\n\s+at /,
        );

        // A data exception quotes the value it could not take.
        const cast = await failureOf(() => db.execute(sql`select ${email}::uuid`));
        const castLine = logged(cast);
        assertAbsent(castLine.text, email);
        assert.equal(castLine.line.err.cause?.code, '22P02');
        assert.match(castLine.line.err.cause.message, /invalid input syntax for type uuid/);
      } finally {
        await pool.end();
      }
    },
  );

  test('a query failing on PGlite, through Drizzle and raw: its query and params are dropped', async () => {
    const email = `${secret('someone')}@example.com`;
    const client = new PGlite();
    try {
      const db = drizzlePglite({ client });
      const wrapped = await failureOf(() =>
        db.execute(sql`select * from "users" where "email" = ${email}`),
      );
      const raw = await failureOf(() => client.query('update "users" set "email" = $1', [email]));
      for (const error of [wrapped, raw]) {
        const { line, text } = logged(error);
        assertAbsent(text, email);
        assert.equal(line.err.dependency, 'postgres');
      }
      assert.equal(logged(raw).line.err.query, 'update users');
      assert.equal(logged(raw).line.err.code, '42P01');
      // What a command prints for an unexpected failure: stacks and causes, no parameter.
      const printed = formatError(wrapped);
      assertAbsent(printed, email);
      assert.match(printed, /^DrizzleQueryError: failed query: select users\n\s+at /);
      assert.match(printed, /\ncaused by DatabaseError: relation "users" does not exist\n\s+at /);
    } finally {
      await client.close();
    }
  });

  test(
    'pg refused (closed port) and a missing database: what and why, no password',
    {
      skip: postgres ? false : 'PostgreSQL is not reachable',
    },
    async () => {
      const password = secret('dbpw');
      const port = await closedPort();
      const refusedPool = new pg.Pool({
        connectionString: `postgres://hoplink:${password}@127.0.0.1:${String(port)}/hoplink`,
      });
      const refused = await failureOf(() => refusedPool.query('select 1'));
      await refusedPool.end();
      const { line, text } = logged(refused);
      assertAbsent(text, password);
      assert.equal(line.err.code, 'ECONNREFUSED');
      assert.equal(line.err.port, port);
      assert.equal(line.err.dependency, 'postgres');
      assert.equal(connectionFailure(refused)?.reason, 'refused');

      const missing = new URL(POSTGRES_ADMIN_URL);
      missing.pathname = `/${secret('missing_')}`;
      missing.password = password;
      const missingPool = new pg.Pool({ connectionString: missing.toString() });
      const absent = await failureOf(() => missingPool.query('select 1'));
      await missingPool.end();
      assertAbsent(logged(absent).text, password);
      assert.equal(logged(absent).line.err.code, '3D000');
      assert.equal(connectionFailure(absent)?.reason, 'database-missing');
    },
  );
});

test(
  'pg refusing a wrong password (a PostgreSQL of its own: the shared one trusts everyone)',
  { skip: postgresServerInstalled() ? false : 'no PostgreSQL binaries (initdb)' },
  async () => {
    const server = await PrivatePostgres.start();
    const wrong = secret('wrongpw');
    const pool = new pg.Pool({ connectionString: server.url('postgres', 'postgres', wrong) });
    try {
      const error = await failureOf(() => pool.query('select 1'));
      const { line, text } = logged(error);
      assertAbsent(text, wrong, server.password);
      assert.equal(line.err.code, '28P01');
      assert.equal(line.err.message, 'password authentication failed for user "postgres"');
      assert.equal(line.err.dependency, 'postgres');
      assert.equal(connectionFailure(error)?.reason, 'auth');
    } finally {
      await pool.end();
      server.destroy();
    }
  },
);

describe(
  'errors of the Redis client',
  { skip: redisServerInstalled() ? false : 'no redis-server' },
  () => {
    let redis: PrivateRedis;
    const password = secret('redispw');
    before(async () => {
      redis = await PrivateRedis.start();
      const client = new Redis(redis.url);
      await client.config('SET', 'requirepass', password);
      client.disconnect();
    });
    after(() => redis.destroy());

    test('a wrong password: the AUTH command named, its argument (the password) gone', async () => {
      const wrong = secret('wrongpw');
      const client = new Redis(`redis://:${wrong}@127.0.0.1:${String(redis.port)}`, {
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      const events: unknown[] = [];
      client.on('error', (error: unknown) => events.push(error));
      const error = await failureOf(() => client.ping());
      client.disconnect();
      for (const each of [error, ...events]) {
        const { line, text } = logged(each);
        assertAbsent(text, wrong);
        assert.equal(line.err.dependency, 'redis');
      }
      const [event] = events;
      const { line } = logged(event);
      assert.equal(line.err.type, 'ReplyError');
      assert.equal(line.err.command, 'auth');
      assert.match(line.err.message, /^WRONGPASS/);
      assert.equal(connectionFailure(event)?.reason, 'auth');
    });

    test('a command refused without a password, and a closed port', async () => {
      const value = secret('value');
      const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      const noauth = await failureOf(() => client.set('key', value));
      client.disconnect();
      assertAbsent(logged(noauth).text, value);
      assert.equal(connectionFailure(noauth)?.reason, 'auth');

      const closed = new Redis(`redis://:${password}@127.0.0.1:${String(await closedPort())}`, {
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      const events: unknown[] = [];
      closed.on('error', (error: unknown) => events.push(error));
      await failureOf(() => closed.ping());
      closed.disconnect();
      const { line, text } = logged(events[0]);
      assertAbsent(text, password);
      assert.equal(line.err.code, 'ECONNREFUSED');
      assert.equal(connectionFailure(events[0])?.reason, 'refused');
    });
  },
);

describe('errors of the SMTP client', () => {
  const password = secret('smtppw');
  const server = new SMTPServer({
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.password === password) callback(null, { user: auth.username });
      else callback(new Error('Authentication credentials invalid'));
    },
    onRcptTo(address, _session, callback) {
      callback(
        Object.assign(new Error(`<${address.address}>: Recipient address rejected`), {
          responseCode: 550,
        }),
      );
    },
  });
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );

  const send = (credentials: string, to: string) => {
    const transport = nodemailer.createTransport(`smtp://${credentials}@127.0.0.1:${String(port)}`);
    return failureOf(() =>
      transport.sendMail({ from: 'hop@example.com', to, subject: 's', text: 't' }),
    );
  };

  test('a refused login: EAUTH and the reply code, never the password', async () => {
    const wrong = secret('wrongpw');
    const error = await send(`hoplink:${wrong}`, 'someone@example.com');
    const { line, text } = logged(error);
    assertAbsent(text, wrong);
    assert.equal(line.err.code, 'EAUTH');
    assert.equal(line.err.responseCode, 535);
    assert.equal(line.err.dependency, 'smtp');
    assert.equal(connectionFailure(error)?.reason, 'auth');
  });

  test('a rejected recipient: the address the server echoes is masked', async () => {
    const to = `${secret('rejected')}@example.com`;
    const error = await send(`hoplink:${password}`, to);
    const { line, text } = logged(error);
    assertAbsent(text, to, to.split('@')[0]!);
    assert.equal(line.err.code, 'EENVELOPE');
    assert.match(line.err.message, /recipients were rejected: 550 <\[email\]>/);
    assert.equal(connectionFailure(error), null, 'a rejection is no connection failure');
  });
});

describe('scrubbing and masking', () => {
  test('free text: query parameters, URL credentials, addresses and opaque tokens', () => {
    assert.equal(
      scrubText('Failed query: select "id" from "sessions" where "token_hash" = $1\nparams: abc'),
      'failed query: select sessions',
    );
    assert.equal(
      scrubText('cannot reach redis://:hunter2@cache:6379/0 for a@b.example'),
      'cannot reach redis://[REDACTED]@cache:6379/0 for [email]',
    );
    for (const token of [
      randomBytes(32).toString('base64url'),
      randomBytes(32).toString('hex'),
      'NoDigitsHereButMixedCaseThroughoutTheWholeRun',
    ]) {
      assert.equal(scrubText(`token ${token} refused`), 'token [REDACTED] refused');
    }
    assert.equal(
      scrubText('violates unique constraint "click_rollups_link_id_day_bucket_unique"'),
      'violates unique constraint "click_rollups_link_id_day_bucket_unique"',
    );
    assert.equal(
      scrubText('job 3f2b8c1e-4d5a-4b6c-8e7f-9a0b1c2d3e4f stalled'),
      'job 3f2b8c1e-4d5a-4b6c-8e7f-9a0b1c2d3e4f stalled',
    );
  });

  test('a query is described by its keyword and first table', () => {
    assert.equal(describeQuery('insert into "users" ("email") values ($1)'), 'insert users');
    assert.equal(describeQuery('update "api_tokens" set "last_used_at" = $1'), 'update api_tokens');
    assert.equal(
      describeQuery('delete from "public"."sessions" where 1'),
      'delete public.sessions',
    );
    assert.equal(describeQuery('select 1'), 'select');
    assert.equal(
      describeQuery(
        'with batch as (select * from json_to_recordset($1::json) as row(a int)), inserted as (insert into clicks (a) select a from batch returning 1) select count(*) from inserted',
      ),
      'insert clicks',
    );
    assert.equal(
      describeQuery('select * from json_to_recordset($1) as r(a int) join "links" on true'),
      'select links',
    );
  });

  test('URLs: the reset token and query values masked, harmless parameters kept', () => {
    assert.equal(
      maskUrl('/accounts/reset/abc123def?next=/'),
      '/accounts/reset/[REDACTED]?next=%2F',
    );
    assert.equal(maskUrl('/accounts/reset/complete'), '/accounts/reset/complete');
    assert.equal(
      maskUrl('/api/v1/links?q=my%20words&limit=5&api_key=k'),
      '/api/v1/links?q=[REDACTED]&limit=5&api_key=[REDACTED]',
    );
    assert.equal(
      maskUrl('/accounts/login?next=%2Faccounts%2Freset%2Fsecret-token'),
      '/accounts/login?next=%2Faccounts%2Freset%2F%5BREDACTED%5D',
    );
    assert.equal(
      maskUrl('https://user:pw@hop.example.com/accounts/reset/tok?x=1#frag'),
      'https://hop.example.com/accounts/reset/[REDACTED]?x=[REDACTED]',
    );
    assert.equal(maskUrl('/abc123'), '/abc123');
    assert.equal(maskUrl('/links?hunter2&&page=3'), '/links?[REDACTED]&&page=3');
  });

  test('a message logged where an error goes is scrubbed and stays text', () => {
    assert.equal(serializeError('mail to a@b.example failed'), 'mail to [email] failed');
  });
});
