import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { signerFactory } from '@fastify/cookie';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { createContainer, type Container } from '#src/container.ts';
import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { loadMigrations, migrationStatus } from '#src/db/migrator.ts';
import { buildServer } from '#src/http/build-server.ts';
import { formatFindings, hasErrors, loadSettings } from '#src/settings/index.ts';
import { unique } from '#test/factories.ts';
import {
  createTestDatabase,
  POSTGRES_ADMIN_URL,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { runHoplink, showRun, type CliRun } from '#test/helpers/cli.ts';
import { markedBlock, readMarkedBlock } from '#test/helpers/doc-commands.ts';
import { LogCollector } from '#test/helpers/log-collector.ts';

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'operations.md');
const HOST = { host: 'localhost' };
const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
// One key for the app before the backup and after the restore, as in a real restore: the
// session cookies issued before must still verify.
const SECRET_KEY = randomBytes(48).toString('base64url');
const PASSWORD = 'plover gravel anthem 77';

describe('doc-commands: marked blocks of a Markdown file', () => {
  const doc = [
    'Intro.',
    '<!-- ops:one -->',
    '',
    '```sh',
    'echo "one"',
    'echo two',
    '```',
    '<!-- ops:loose -->',
    'Some prose instead of a block.',
    '<!-- ops:twice -->',
    '<!-- ops:twice -->',
    '<!-- ops:open -->',
    '~~~yaml',
    'a: 1',
  ].join('\n');

  test('returns the language and the exact lines of the block after the marker', () => {
    assert.deepEqual(markedBlock(doc, 'ops:one'), {
      language: 'sh',
      body: 'echo "one"\necho two\n',
    });
  });

  test('refuses a missing, detached, repeated or unclosed marker', () => {
    assert.throws(() => markedBlock(doc, 'ops:absent'), /no <!-- ops:absent -->/);
    assert.throws(() => markedBlock(doc, 'ops:loose'), /not followed by a fenced code block/);
    assert.throws(() => markedBlock(doc, 'ops:twice'), /appears 2 times/);
    assert.throws(() => markedBlock(doc, 'ops:open'), /never closed/);
  });
});

describe('docs/operations.md: the Kubernetes CronJob runs the backup script', () => {
  const block = readMarkedBlock(DOC, 'ops:cronjob');
  const manifest: unknown = parseYaml(block.body);

  test('is a valid batch/v1 CronJob wired to the script, the secret and a volume', () => {
    assert.equal(block.language, 'yaml');
    const cronJob = new CronJob(manifest as ConstructorParameters<typeof CronJob>[0]);
    cronJob.validate();
    const { spec } = cronJob;
    assert.equal(spec.concurrencyPolicy, 'Forbid', 'two dumps must never overlap');
    const pod = spec.jobTemplate.spec!.template.spec!;
    const [container] = pod.containers;
    assert.ok(container);
    const major = Number(/^postgres:(\d+)/.exec(container.image ?? '')?.[1]);
    assert.ok(
      major >= 15,
      `client tools of PostgreSQL 15 or newer, not ${String(container.image)}`,
    );
    const mountOf = (volume: string) =>
      container.volumeMounts?.find((mount) => mount.name === volume)?.mountPath;
    const volumeOf = (name: string) => pod.volumes?.find((volume) => volume.name === name);

    // The ConfigMap the doc tells to create, holding the script under the name the command runs.
    const configMap = volumeOf('script')?.configMap?.name;
    const doc = readFileSync(DOC, 'utf8');
    assert.ok(
      doc.includes(
        `kubectl create configmap ${String(configMap)} --from-file=hoplink-backup=./hoplink-backup`,
      ),
    );
    assert.deepEqual(container.command, ['bash', `${String(mountOf('script'))}/hoplink-backup`]);
    // The script's default DATABASE_URL_FILE.
    assert.equal(mountOf('secrets'), '/run/secrets');
    assert.deepEqual(
      volumeOf('secrets')?.secret?.items?.map((item) => item.path),
      ['hoplink_database_url'],
    );
    // The key the operator created for the kustomize base (deploy/kubernetes/base).
    const base = readFileSync(
      join(import.meta.dirname, '../../deploy/kubernetes/base/web-deployment.yaml'),
      'utf8',
    );
    const key = volumeOf('secrets')?.secret?.items?.[0]?.key ?? '';
    assert.match(base, new RegExp(`key: ${key}\\n\\s+path: hoplink_database_url`));
    const backupDir = container.env?.find((variable) => variable.name === 'BACKUP_DIR')?.value;
    assert.equal(backupDir, mountOf('backups'));
    assert.ok(volumeOf('backups')?.persistentVolumeClaim, 'dumps outlive the pod');
  });

  test('the validator rejects a broken CronJob', () => {
    const broken = structuredClone(manifest) as { spec: Record<string, unknown> };
    delete broken.spec.schedule;
    assert.throws(() => {
      new CronJob(broken as never).validate();
    }, /schedule/);
  });
});

/** The directory on PATH holding `name`, or null. */
function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return dir;
    } catch {
      // not here
    }
  }
  return null;
}

await describe(
  'docs/operations.md: the SECRET_KEY rotation steps',
  onPath('openssl') ? {} : { skip: 'openssl not on PATH: install openssl' },
  () => {
    test('move a new key in through the fallbacks and the old one out, files kept in place', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hoplink-rotate-'));
      try {
        const keyFile = join(dir, 'hoplink_secret_key');
        const fallbacksFile = join(dir, 'hoplink_secret_key_fallbacks');
        const original = randomBytes(48).toString('base64');
        writeFileSync(keyFile, `${original}\n`, { mode: 0o600 });
        /** What Hoplink reads from the two files, as a deploy would after rolling out. */
        const keys = () => {
          const loaded = loadSettings({
            env: {
              NODE_ENV: 'production',
              SECRET_KEY_FILE: keyFile,
              SECRET_KEY_FALLBACKS_FILE: fallbacksFile,
            },
            envFile: '/nonexistent/.env',
            persistDevSecret: false,
          });
          const problems = loaded.findings.filter((finding) =>
            finding.setting?.startsWith('SECRET'),
          );
          assert.deepEqual(problems, [], formatFindings(problems));
          return {
            key: loaded.settings.secretKey.reveal(),
            fallbacks: loaded.settings.secretKeyFallbacks.map((fallback) => fallback.reveal()),
          };
        };
        const step = async (name: string) => {
          const run = await runBlock(readMarkedBlock(DOC, name).body, {}, dir);
          assert.equal(run.code, 0, showRun(run));
        };
        const inode = statSync(keyFile).ino;

        await step('ops:rotate-setup');
        assert.deepEqual(keys(), { key: original, fallbacks: [] });
        const fallbacksInode = statSync(fallbacksFile).ino;
        await step('ops:rotate-1');
        const { fallbacks: added } = keys();
        assert.equal(added.length, 1);
        const fresh = added[0]!;
        assert.ok(fresh.length >= 50 && fresh !== original, 'a new, long key');
        assert.deepEqual(keys(), { key: original, fallbacks: [fresh] });
        await step('ops:rotate-2');
        assert.deepEqual(keys(), { key: fresh, fallbacks: [original] });
        await step('ops:rotate-3');
        assert.deepEqual(keys(), { key: fresh, fallbacks: [] });

        for (const [file, ino] of [
          [keyFile, inode],
          [fallbacksFile, fallbacksInode],
        ] as const) {
          assert.equal(statSync(file).ino, ino, `${file} rewritten in place`);
          assert.equal(statSync(file).mode & 0o777, 0o600, `${file} kept its mode`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

async function serverMajor(): Promise<number> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(
      "select current_setting('server_version_num') as v",
    );
    return Math.floor(Number(rows[0]?.v) / 10_000);
  } finally {
    await client.end();
  }
}

async function whyNot(): Promise<string | null> {
  if (!(await postgresReachable())) {
    return `PostgreSQL is not reachable at ${new URL(POSTGRES_ADMIN_URL).host}`;
  }
  const missing = ['pg_dump', 'pg_restore', 'createdb'].filter((tool) => !onPath(tool));
  if (missing.length > 0) {
    return `${missing.join(', ')} not on PATH: install the PostgreSQL client tools (postgresql-client)`;
  }
  const version = spawnSync('pg_dump', ['--version'], { encoding: 'utf8' }).stdout;
  const client = Number(/\(PostgreSQL\)\s+(\d+)/.exec(version)?.[1]);
  const server = await serverMajor();
  if (!(client >= server)) {
    return `pg_dump ${String(client)} cannot dump PostgreSQL ${String(server)}: install client tools ${String(server)} or newer`;
  }
  return null;
}

const skip = await whyNot();

/** Runs a doc block as an operator's shell would: bash -euo pipefail, only `env` set. */
function runBlock(
  script: string,
  env: Record<string, string>,
  home: string,
  cwd = home,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      // HOME is a scratch directory, so no ~/.pgpass or psqlrc of the machine takes part.
      env: { PATH: process.env.PATH ?? '', HOME: home, LC_ALL: 'C.UTF-8', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

function urlOf(database: string, user = new URL(POSTGRES_ADMIN_URL).username): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.username = user;
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Rows of every table of the public schema: the whole of Hoplink's data, by table. */
function tableCounts(url: string): Promise<Record<string, number>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      "select tablename as name from pg_tables where schemaname = 'public' order by tablename",
    );
    const counts: Record<string, number> = {};
    for (const { name } of rows) {
      const result = await client.query<{ n: number }>(
        `select count(*)::int as n from ${client.escapeIdentifier(name)}`,
      );
      counts[name] = result.rows[0]?.n ?? -1;
    }
    return counts;
  });
}

/** The real application (every plugin) on `database`, as `inject` tests use it. */
async function openApp(database: DatabaseHandle) {
  const loaded = loadSettings({
    env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', SECRET_KEY },
    envFile: '/nonexistent/.env',
    persistDevSecret: false,
  });
  assert.ok(!hasErrors(loaded.findings), formatFindings(loaded.findings));
  const container: Container = await createContainer(loaded.settings, {
    database,
    logDestination: new LogCollector(),
  });
  const app = buildServer(container);
  await app.ready();
  return {
    app,
    container,
    close: async () => {
      await app.close();
      await container.close();
    },
  };
}
type App = Awaited<ReturnType<typeof openApp>>;

/** `hoplink <args>` in production against `databaseUrl`, the way the doc runs it after a restore. */
function hoplinkAgainst(databaseUrl: string, args: string[]): Promise<CliRun> {
  return runHoplink(args, {
    env: {
      NODE_ENV: 'production',
      SECRET_KEY,
      ALLOWED_HOSTS: 'hop.example.com',
      SITE_URL: 'https://hop.example.com',
      DATABASE_URL: databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:6379',
      EMAIL_URL: 'smtp://127.0.0.1:2525',
      LOG_FORMAT: 'json',
    },
  });
}

await describe(
  'docs/operations.md: the backup and restore commands, run as written against PostgreSQL',
  skip ? { skip } : {},
  () => {
    const work = mkdtempSync(join(tmpdir(), 'hoplink-backup-'));
    const home = join(work, 'home');
    const backupDir = join(work, 'backups');
    const suffix = randomBytes(5).toString('hex');
    const role = `hoplink_restore_${suffix}`;
    const restoredDb = `hoplink_restored_${suffix}`;
    const failedDb = `hoplink_restored_${suffix}_bad`;
    const backupScript = readMarkedBlock(DOC, 'ops:backup');
    const restoreScript = readMarkedBlock(DOC, 'ops:restore');

    let source: TestDatabase;
    let sourceApp: App;
    let restored: DatabaseHandle | null = null;
    let restoredApp: App | null = null;
    let backupFile = '';
    const user = { email: `ops-${unique()}@example.com`, username: `ops_${suffix}`, id: '' };
    let link = { id: '', code: '', targetUrl: '' };
    let apiToken = '';
    let sessionToken = '';
    let atBackup: Record<string, number> = {};
    let statsAtBackup: unknown;

    const restoreEnv = (database: string, file: string) => ({
      ADMIN_URL: POSTGRES_ADMIN_URL,
      RESTORE_DB: database,
      RESTORE_ROLE: role,
      RESTORE_URL: urlOf(database, role),
      BACKUP_FILE: file,
    });
    const api = (app: App, url: string) =>
      app.app.inject({ url, headers: { ...HOST, authorization: `Bearer ${apiToken}` } });

    before(async () => {
      for (const dir of [home, backupDir]) mkdirSync(dir);
      await withClient(POSTGRES_ADMIN_URL, (client) => client.query(`create role ${role} login`));

      // A production database as the app makes it: migrated by the project's migrator, then a
      // user, a session, an API token, links and clicks through the real services and routes.
      source = await createTestDatabase('postgres');
      sourceApp = await openApp(source.handle);
      const { container, app } = sourceApp;
      const account = { email: user.email, username: user.username, password: PASSWORD };
      await container.users.register({ ...account, ip: '192.0.2.10' });
      user.id = (await container.users.findByEmail(user.email))?.id ?? '';
      sessionToken = (await container.sessions.start(user.id, { csrfSecret: unique() })).token;
      apiToken = (
        await container.apiTokens.create(user.id, { name: 'backup test', scopes: ['links:read'] })
      ).token;
      const created = await container.links.create(user.id, {
        url: 'https://example.com/restored',
      });
      link = { id: created.id, code: created.code, targetUrl: created.targetUrl };
      await container.links.create(user.id, { url: 'https://example.com/other', slug: 'other' });
      for (let n = 0; n < 12; n += 1) {
        const response = await app.inject({
          url: `/${link.code}`,
          headers: {
            ...HOST,
            'user-agent': n % 3 === 0 ? 'curl/8.5.0' : BROWSER,
            ...(n % 2 === 0 ? { referer: `https://news.example.net/${String(n)}` } : {}),
          },
        });
        assert.equal(response.statusCode, 302);
      }
      await container.clickSink.flush();
      atBackup = await tableCounts(source.url!);
      const stats = await api(sourceApp, `/api/v1/links/${link.id}/stats?days=30`);
      assert.equal(stats.statusCode, 200, stats.body);
      statsAtBackup = stats.json();
    });

    after(async () => {
      await restoredApp?.close();
      await restored?.close();
      await sourceApp.close();
      await source.drop();
      await withClient(POSTGRES_ADMIN_URL, async (client) => {
        for (const name of [restoredDb, failedDb]) {
          await client.query(`drop database if exists ${name} with (force)`);
        }
        await client.query(`drop role if exists ${role}`);
      });
      rmSync(work, { recursive: true, force: true });
    });

    test('the data to back up is what a user made', () => {
      assert.equal(atBackup.users, 1);
      assert.equal(atBackup.sessions, 1);
      assert.equal(atBackup.api_tokens, 1);
      assert.equal(atBackup.links, 2);
      assert.equal(atBackup.clicks, 12);
      assert.ok((atBackup.click_daily ?? 0) > 0, 'the trigger filled the rollups');
      assert.equal(atBackup.schema_migrations, loadMigrations().length);
      const stats = statsAtBackup as { clicks: number; bots: number; referrers: unknown[] };
      assert.equal(stats.clicks + stats.bots, 12);
      assert.ok(stats.bots > 0 && stats.referrers.length > 0);
    });

    test('the backup script fails loudly and leaves nothing when the database is unreachable', async () => {
      const dir = join(work, 'failed-backups');
      mkdirSync(dir);
      const run = await runBlock(
        backupScript.body,
        {
          DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing',
          BACKUP_DIR: dir,
          PGCONNECT_TIMEOUT: '5',
        },
        home,
      );
      assert.notEqual(run.code, 0, showRun(run));
      assert.match(run.stderr, /pg_dump/);
      assert.deepEqual(readdirSync(dir), [], 'no dump and no .partial file left behind');
    });

    test('the backup script writes one readable dump, mode 0600, and prunes old ones', async () => {
      assert.equal(backupScript.language, 'bash');
      const old = join(backupDir, 'hoplink-20000101T000000Z.dump');
      const unrelated = join(backupDir, 'notes.txt');
      for (const path of [old, unrelated]) {
        writeFileSync(path, 'x');
        const monthAgo = new Date(Date.now() - 30 * 86_400_000);
        utimesSync(path, monthAgo, monthAgo);
      }
      // The URL comes from a secret file, as in production.
      const urlFile = join(work, 'hoplink_database_url');
      writeFileSync(urlFile, `${source.url!}\n`, { mode: 0o600 });
      const run = await runBlock(
        backupScript.body,
        { DATABASE_URL_FILE: urlFile, BACKUP_DIR: backupDir },
        home,
      );
      assert.equal(run.code, 0, showRun(run));

      const dumps = readdirSync(backupDir).filter((name) => name !== 'notes.txt');
      assert.equal(dumps.length, 1, `one dump, the old one pruned: ${dumps.join(', ')}`);
      assert.match(dumps[0]!, /^hoplink-\d{8}T\d{6}Z\.dump$/);
      backupFile = join(backupDir, dumps[0]!);
      assert.match(run.stdout, new RegExp(`backup written: ${backupFile}`));
      assert.equal(statSync(backupFile).mode & 0o777, 0o600);
      assert.ok(statSync(unrelated).isFile(), 'only hoplink-*.dump files are pruned');
      const listing = spawnSync('pg_restore', ['--list', backupFile], { encoding: 'utf8' });
      assert.match(listing.stdout, /TABLE DATA public clicks/);
    });

    test('the restore block rebuilds the database as it was at the backup', async () => {
      assert.ok(backupFile, 'the backup test ran');
      // Written after the backup: the restore must not have it.
      const later = await sourceApp.container.links.create(user.id, {
        url: 'https://example.com/after-the-backup',
      });
      assert.equal((await tableCounts(source.url!)).links, atBackup.links! + 1);

      const run = await runBlock(restoreScript.body, restoreEnv(restoredDb, backupFile), home);
      assert.equal(run.code, 0, showRun(run));
      assert.deepEqual(await tableCounts(urlOf(restoredDb)), atBackup);

      const owners = await withClient(urlOf(restoredDb), (client) =>
        client.query<{ owner: string }>(
          `select distinct tableowner as owner from pg_tables where schemaname = 'public'
           union select distinct pg_get_userbyid(proowner) from pg_proc
             where pronamespace = 'public'::regnamespace`,
        ),
      );
      assert.deepEqual(
        owners.rows.map((row) => row.owner),
        [role],
        '--no-owner --role: everything belongs to the application role',
      );

      restored = await openDatabase({ kind: 'postgres', url: urlOf(restoredDb, role), poolMax: 3 });
      const status = await migrationStatus(restored);
      assert.deepEqual(
        { pending: status.pending.map((m) => m.name), modified: status.modified },
        { pending: [], modified: [] },
      );
      restoredApp = await openApp(restored);
      assert.equal(await restoredApp.container.links.resolve(later.code), null);
    });

    test('on the restored database the user sees the same account, links and stats', async () => {
      assert.ok(restoredApp, 'the restore test ran');
      const app = restoredApp;

      const me = await api(app, '/api/v1/me');
      assert.equal(me.statusCode, 200, me.body);
      assert.deepEqual(me.json(), { id: user.id, email: user.email, username: user.username });
      const stats = await api(app, `/api/v1/links/${link.id}/stats?days=30`);
      assert.equal(stats.statusCode, 200, stats.body);
      assert.deepEqual(stats.json(), statsAtBackup);

      // Still signed in: the session row came back and the cookie's key is unchanged.
      const page = await app.app.inject({
        url: '/links',
        headers: {
          ...HOST,
          // Signed as the site scope signs it: with SECRET_KEY (the cookie plugin lives there).
          cookie: `hoplink_session=${signerFactory(app.container.settings.secretKey.reveal()).sign(sessionToken)}`,
        },
      });
      assert.equal(page.statusCode, 200, page.body);
      assert.ok(page.body.includes(link.code));
      const loggedIn = await app.container.users.logIn({
        login: user.email,
        password: PASSWORD,
        ip: '192.0.2.1',
      });
      assert.equal(loggedIn.id, user.id);

      // The trigger came back after the data: a new click is counted once, on top of the old.
      const redirect = await app.app.inject({
        url: `/${link.code}`,
        headers: { ...HOST, 'user-agent': BROWSER },
      });
      assert.equal(redirect.statusCode, 302);
      assert.equal(redirect.headers.location, link.targetUrl);
      await app.container.clickSink.flush();
      const after = (await api(app, `/api/v1/links/${link.id}/stats?days=30`)).json<{
        clicks: number;
      }>();
      assert.equal(after.clicks, (statsAtBackup as { clicks: number }).clicks + 1);
    });

    test('hoplink migrate --check and check --deploy pass against the restored database', async () => {
      assert.ok(restored, 'the restore test ran');
      const url = urlOf(restoredDb, role);
      const check = await hoplinkAgainst(url, ['migrate', '--check']);
      assert.equal(check.code, 0, showRun(check));
      assert.match(check.stdout, /no pending migrations/);
      const audit = await hoplinkAgainst(url, ['check', '--deploy', '--json']);
      assert.equal(audit.code, 0, showRun(audit));
      const ids = (JSON.parse(audit.stdout) as { findings: { id: string }[] }).findings.map(
        (finding) => finding.id,
      );
      // W019: pending migrations; I001: database unreachable.
      assert.ok(!ids.includes('hoplink.W019') && !ids.includes('hoplink.I001'), ids.join(', '));
    });

    test('the restore block refuses a database that exists, leaving it untouched', async () => {
      assert.ok(restored, 'the restore test ran');
      const before = await tableCounts(urlOf(restoredDb));
      const run = await runBlock(restoreScript.body, restoreEnv(restoredDb, backupFile), home);
      assert.notEqual(run.code, 0, showRun(run));
      assert.match(run.stderr, /already exists/);
      assert.deepEqual(await tableCounts(urlOf(restoredDb)), before);
    });

    test('a damaged dump fails the restore and leaves an empty database, not half of one', async () => {
      assert.ok(backupFile, 'the backup test ran');
      const damaged = join(work, 'damaged.dump');
      const bytes = readFileSync(backupFile);
      // Cut inside the last table's data, so the schema and the earlier tables load before the
      // error: only the single transaction keeps them from staying.
      writeFileSync(damaged, bytes.subarray(0, bytes.length - 16));
      const run = await runBlock(restoreScript.body, restoreEnv(failedDb, damaged), home);
      assert.notEqual(run.code, 0, showRun(run));
      assert.deepEqual(await tableCounts(urlOf(failedDb)), {});
      const check = await hoplinkAgainst(urlOf(failedDb, role), ['migrate', '--check']);
      assert.equal(check.code, 1, showRun(check));
      assert.match(check.stdout, /pending migrations/);
    });
  },
);
