import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadMigrations } from '#src/db/migrator.ts';
import { POSTGRES_ADMIN_URL, postgresReachable } from '#test/helpers/database.ts';

const MAIN = join(import.meta.dirname, '..', 'main.ts');
const TSX = import.meta.resolve('tsx');
/** An empty working directory, so a developer's own .env never leaks into these runs. */
const CWD = mkdtempSync(join(tmpdir(), 'hoplink-migrate-cwd-'));
const SECRET_KEY = randomBytes(48).toString('base64url');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function hoplink(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, MAIN, ...args],
      {
        cwd: CWD,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const show = (run: Run) => `exit ${run.code}\n${run.stdout}\n${run.stderr}`;

describe('hoplink migrate on embedded PGlite', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hoplink-migrate-'));
  const env = { NODE_ENV: 'development', DATA_DIR: dataDir, LOG_FORMAT: 'json' };
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('--check fails on a new database, migrate applies, --check then passes', async () => {
    const pending = await hoplink(['migrate', '--check'], env);
    assert.equal(pending.code, 1, show(pending));
    assert.match(pending.stdout, /pending migrations/);
    const applied = await hoplink(['migrate'], env);
    assert.equal(applied.code, 0, show(applied));
    assert.match(applied.stdout, /"migration":"0000_initial".*"msg":"applied migration"/);
    const clean = await hoplink(['migrate', '--check'], env);
    assert.equal(clean.code, 0, show(clean));
  });
});

const postgres = await postgresReachable();
describe(
  'hoplink migrate and check --deploy on PostgreSQL',
  postgres ? {} : { skip: 'PostgreSQL is not reachable: start it (see .ci/run) to run this suite' },
  () => {
    const name = `hoplink_test_${randomBytes(6).toString('hex')}`;
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    const env = {
      NODE_ENV: 'production',
      SECRET_KEY,
      ALLOWED_HOSTS: 'hop.example.com',
      SITE_URL: 'https://hop.example.com',
      DATABASE_URL: url.toString(),
      // Required in production; neither command contacts them.
      REDIS_URL: 'redis://127.0.0.1:1',
      EMAIL_URL: 'smtp://127.0.0.1:1',
      LOG_FORMAT: 'json',
    };
    const admin = async (sql: string) => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(sql);
      await client.end();
    };
    before(() => admin(`create database ${name}`));
    after(() => admin(`drop database if exists ${name} with (force)`));

    test('the deploy audit flags pending migrations until migrate runs', async () => {
      const before = await hoplink(['check', '--deploy', '--json'], env);
      const ids = (run: Run) =>
        (JSON.parse(run.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id);
      assert.ok(ids(before).includes('hoplink.W019'), show(before));

      const applied = await hoplink(['migrate'], env);
      assert.equal(applied.code, 0, show(applied));
      assert.doesNotMatch(applied.stdout + applied.stderr, new RegExp(SECRET_KEY));

      const after = await hoplink(['check', '--deploy', '--json'], env);
      assert.ok(!ids(after).includes('hoplink.W019'), show(after));
      assert.ok(!ids(after).includes('hoplink.I001'), show(after));
      const check = await hoplink(['migrate', '--check'], env);
      assert.equal(check.code, 0, show(check));
    });

    test('two concurrent migrate runs apply each migration once', async () => {
      await admin(`drop database if exists ${name} with (force)`);
      await admin(`create database ${name}`);
      const runs = await Promise.all([hoplink(['migrate'], env), hoplink(['migrate'], env)]);
      for (const run of runs) assert.equal(run.code, 0, show(run));
      const appliedLines = runs.map((run) => (run.stdout.match(/applied migration/g) ?? []).length);
      assert.equal(
        appliedLines.reduce((a, b) => a + b, 0),
        loadMigrations().length,
        'each migration applied by exactly one run',
      );
    });
  },
);
