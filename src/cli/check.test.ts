import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { FindingId } from '#src/settings/index.ts';
import { runInProcess, type CliRun as Run } from '#test/helpers/cli.ts';
import { writeTlsFiles, type TlsFiles } from '#test/helpers/tls.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Env = Record<string, string | undefined>;

const SECRET_KEY = randomBytes(48).toString('base64url');

/** Runs `hoplink check …` with exactly `env` as its environment, from `cwd`. */
async function check(args: string[], env: Env, cwd: string): Promise<Run> {
  const run = await runInProcess(['check', ...args], { env, cwd });
  // Whatever the outcome, the secret itself must never be printed.
  assert.ok(
    !run.stdout.includes(SECRET_KEY) && !run.stderr.includes(SECRET_KEY),
    'SECRET_KEY was printed',
  );
  return run;
}

/** The finding ids in the human output of one level. */
function idsAt(run: Run, mark: 'ERROR' | 'WARNING' | 'INFO'): string[] {
  return [...run.stdout.matchAll(new RegExp(`^${mark} (hoplink\\.\\w+)`, 'gm'))].map((m) => m[1]!);
}

/** The finding ids in the human output, by level. */
function listed(run: Run): { errors: string[]; warnings: string[] } {
  return { errors: idsAt(run, 'ERROR'), warnings: idsAt(run, 'WARNING') };
}

const show = (run: Run) => `exit ${String(run.code)}\n${run.stdout}${run.stderr}`;

/** Production behind a TLS-terminating proxy: the configuration that must be warning-free. */
const GOOD: Env = {
  NODE_ENV: 'production',
  SECRET_KEY,
  ALLOWED_HOSTS: 'hop.example.com',
  SITE_URL: 'https://hop.example.com',
  TRUST_PROXY_HEADERS: 'true',
  SECURE_SSL_REDIRECT: 'true',
  SECURE_HSTS_SECONDS: '31536000',
  SECURE_HSTS_INCLUDE_SUBDOMAINS: 'true',
  SECURE_HSTS_PRELOAD: 'true',
  SESSION_COOKIE_SECURE: 'true',
  CSRF_COOKIE_SECURE: 'true',
  // Nothing listens on port 1: the audit notes the database is unreachable (info) and goes on.
  DATABASE_URL: 'postgres://hoplink@127.0.0.1:1/hoplink',
  // Never contacted by the audit.
  REDIS_URL: 'redis://127.0.0.1:1',
  EMAIL_URL: 'smtp://127.0.0.1:1',
  ADMIN_PATH: '/staff-q8w2',
  ADMIN_ALLOWED_IPS: '203.0.113.0/24,2001:db8::/32',
  // Open sign-up without it is W025 (decision 0027).
  EMAIL_VERIFICATION: 'true',
  // Keeping clicks forever is I004 (decision 0024).
  CLICK_RETENTION_DAYS: '90',
};

describe('hoplink check --deploy', { concurrency: 4 }, () => {
  let dir: string;
  let emptyEnvFile: string;
  let tls: TlsFiles;
  let privateKeyFile: string;
  let worldReadableKeyFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoplink-check-'));
    emptyEnvFile = join(dir, 'empty.env');
    writeFileSync(emptyEnvFile, '');
    tls = await writeTlsFiles(dir);
    privateKeyFile = join(dir, 'secret-key');
    writeFileSync(privateKeyFile, `${SECRET_KEY}\n`, { mode: 0o600 });
    worldReadableKeyFile = join(dir, 'secret-key-readable');
    writeFileSync(worldReadableKeyFile, `${SECRET_KEY}\n`, { mode: 0o644 });
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const deploy = (env: Env, ...flags: string[]) =>
    check(['--deploy', '--dotenv', emptyEnvFile, ...flags], env, dir);

  it('passes a good production configuration at the error and warning levels', async () => {
    for (const level of ['error', 'warning']) {
      const run = await deploy(GOOD, '--fail-level', level);
      assert.equal(run.code, 0, show(run));
      assert.match(
        run.stdout,
        /^0 errors, 0 warnings, 1 note \(profile production, deploy audit\)\.$/m,
      );
    }
  });

  it('notes (info) that an unreachable database was not checked for migrations', async () => {
    const run = await deploy(GOOD, '--fail-level', 'info');
    assert.equal(run.code, 1, show(run));
    assert.match(
      run.stdout,
      /^INFO hoplink\.I001 DATABASE_URL: the database could not be reached/m,
    );
  });

  it('passes production with a real TLS pair and no secure settings of its own', async () => {
    const run = await deploy(
      {
        NODE_ENV: 'production',
        SECRET_KEY,
        ALLOWED_HOSTS: 'hop.example.com',
        SITE_URL: 'https://hop.example.com',
        SERVER_TLS_CERT: tls.cert,
        SERVER_TLS_KEY: tls.key,
        DATABASE_URL: GOOD.DATABASE_URL,
        REDIS_URL: GOOD.REDIS_URL,
        EMAIL_URL: GOOD.EMAIL_URL,
        ADMIN_PATH: GOOD.ADMIN_PATH,
        EMAIL_VERIFICATION: GOOD.EMAIL_VERIFICATION,
        CLICK_RETENTION_DAYS: GOOD.CLICK_RETENTION_DAYS,
      },
      '--fail-level',
      'warning',
    );
    assert.equal(run.code, 0, show(run));
  });

  const errors: { id: FindingId; what: string; env: () => Env }[] = [
    { id: 'hoplink.E001', what: 'a missing SECRET_KEY', env: () => ({ SECRET_KEY: undefined }) },
    {
      id: 'hoplink.E002',
      what: 'a weak SECRET_KEY',
      env: () => ({ SECRET_KEY: `insecure-${SECRET_KEY}` }),
    },
    {
      id: 'hoplink.E003',
      what: 'a missing ALLOWED_HOSTS',
      env: () => ({ ALLOWED_HOSTS: undefined }),
    },
    { id: 'hoplink.E004', what: 'ALLOWED_HOSTS=*', env: () => ({ ALLOWED_HOSTS: '*' }) },
    { id: 'hoplink.E005', what: 'DEBUG=true', env: () => ({ DEBUG: 'true' }) },
    { id: 'hoplink.E006', what: 'half a TLS pair', env: () => ({ SERVER_TLS_CERT: tls.cert }) },
    {
      id: 'hoplink.E007',
      what: 'an unreadable TLS file',
      env: () => ({ SERVER_TLS_CERT: join(dir, 'missing.pem'), SERVER_TLS_KEY: tls.key }),
    },
    {
      id: 'hoplink.E008',
      what: 'a key that does not match the certificate',
      env: () => ({ SERVER_TLS_CERT: tls.cert, SERVER_TLS_KEY: tls.otherKey }),
    },
    {
      id: 'hoplink.E009',
      what: 'CORS_ALLOWED_ORIGINS=*',
      env: () => ({ CORS_ALLOWED_ORIGINS: '*' }),
    },
    {
      id: 'hoplink.E010',
      what: 'an invalid value',
      env: () => ({ SERVER_PORT: 'eighty' }),
    },
    { id: 'hoplink.E011', what: 'a missing SITE_URL', env: () => ({ SITE_URL: undefined }) },
    {
      id: 'hoplink.E012',
      what: 'both SECRET_KEY and SECRET_KEY_FILE',
      env: () => ({ SECRET_KEY_FILE: privateKeyFile }),
    },
    {
      id: 'hoplink.E013',
      what: 'a CSRF trusted origin without scheme',
      env: () => ({ CSRF_TRUSTED_ORIGINS: 'app.example.com' }),
    },
    {
      id: 'hoplink.E014',
      what: 'proxy trust without proxies',
      env: () => ({ TRUSTED_PROXIES: '' }),
    },
  ];
  for (const error of errors) {
    it(`fails on ${error.what} with ${error.id} alone`, async () => {
      const run = await deploy({ ...GOOD, ...error.env() });
      assert.equal(run.code, 1, show(run));
      assert.deepEqual(listed(run), { errors: [error.id], warnings: [] }, show(run));
    });
  }

  const warnings: { id: FindingId; what: string; env: () => Env }[] = [
    { id: 'hoplink.W001', what: 'SSL redirect off', env: () => ({ SECURE_SSL_REDIRECT: 'false' }) },
    { id: 'hoplink.W002', what: 'HSTS off', env: () => ({ SECURE_HSTS_SECONDS: '0' }) },
    {
      id: 'hoplink.W003',
      what: 'HSTS without subdomains',
      env: () => ({ SECURE_HSTS_INCLUDE_SUBDOMAINS: 'false' }),
    },
    {
      id: 'hoplink.W005',
      what: 'an insecure session cookie',
      env: () => ({ SESSION_COOKIE_SECURE: '0' }),
    },
    {
      id: 'hoplink.W006',
      what: 'an insecure CSRF cookie',
      env: () => ({ CSRF_COOKIE_SECURE: 'FALSE' }),
    },
    {
      id: 'hoplink.W007',
      what: 'X-Frame-Options SAMEORIGIN',
      env: () => ({ X_FRAME_OPTIONS: 'SAMEORIGIN' }),
    },
    {
      id: 'hoplink.W008',
      what: 'nosniff off',
      env: () => ({ SECURE_CONTENT_TYPE_NOSNIFF: 'false' }),
    },
    {
      id: 'hoplink.W009',
      what: 'referrer policy unsafe-url',
      env: () => ({ SECURE_REFERRER_POLICY: 'unsafe-url' }),
    },
    {
      id: 'hoplink.W010',
      what: 'an http SITE_URL',
      env: () => ({ SITE_URL: 'http://hop.example.com' }),
    },
    { id: 'hoplink.W011', what: 'a report-only CSP', env: () => ({ CSP_REPORT_ONLY: 'true' }) },
    {
      id: 'hoplink.W012',
      what: 'a short password minimum',
      env: () => ({ PASSWORD_MIN_LENGTH: '10' }),
    },
    { id: 'hoplink.W013', what: 'the default ADMIN_PATH', env: () => ({ ADMIN_PATH: undefined }) },
    {
      id: 'hoplink.W014',
      what: 'a world-readable secret file',
      env: () => ({ SECRET_KEY: undefined, SECRET_KEY_FILE: worldReadableKeyFile }),
    },
    { id: 'hoplink.W016', what: 'a likely typo', env: () => ({ ALLOWED_HOST: 'hop.example.com' }) },
    {
      id: 'hoplink.W021',
      what: 'a DATA_DIR that cannot hold the click spool',
      env: () => ({ DATA_DIR: join(privateKeyFile, 'data') }),
    },
  ];
  for (const warning of warnings) {
    it(`warns about ${warning.what} with ${warning.id}, failing only at --fail-level warning`, async () => {
      const env = { ...GOOD, ...warning.env() };
      const [atError, atWarning] = await Promise.all([
        deploy(env),
        deploy(env, '--fail-level', 'warning'),
      ]);
      assert.equal(atError.code, 0, show(atError));
      assert.deepEqual(listed(atError), { errors: [], warnings: [warning.id] }, show(atError));
      assert.equal(atWarning.code, 1, show(atWarning));
      assert.deepEqual(listed(atWarning), { errors: [], warnings: [warning.id] }, show(atWarning));
    });
  }

  it('notes (info) an empty ADMIN_ALLOWED_IPS, failing only at --fail-level info', async () => {
    const env = { ...GOOD, ADMIN_ALLOWED_IPS: undefined };
    const [atWarning, atInfo] = await Promise.all([
      deploy(env, '--fail-level', 'warning'),
      deploy(env, '--fail-level', 'info'),
    ]);
    assert.equal(atWarning.code, 0, show(atWarning));
    assert.deepEqual(listed(atWarning), { errors: [], warnings: [] }, show(atWarning));
    assert.equal(atInfo.code, 1, show(atInfo));
    assert.deepEqual(idsAt(atInfo, 'INFO'), ['hoplink.I002', 'hoplink.I001'], show(atInfo));
    assert.match(atInfo.stdout, /^INFO hoplink\.I002 ADMIN_ALLOWED_IPS: is empty/m);
  });

  it('notes (info) HSTS without preload, failing only at --fail-level info', async () => {
    const env = { ...GOOD, SECURE_HSTS_PRELOAD: 'no' };
    const [atWarning, atInfo] = await Promise.all([
      deploy(env, '--fail-level', 'warning'),
      deploy(env, '--fail-level', 'info'),
    ]);
    assert.equal(atWarning.code, 0, show(atWarning));
    assert.deepEqual(listed(atWarning), { errors: [], warnings: [] }, show(atWarning));
    assert.equal(atInfo.code, 1, show(atInfo));
    assert.deepEqual(idsAt(atInfo, 'INFO'), ['hoplink.I003', 'hoplink.I001'], show(atInfo));
    assert.match(atInfo.stdout, /^INFO hoplink\.I003 SECURE_HSTS_PRELOAD: is off/m);
  });

  it('never implies preload from a TLS pair: the note stays until it is set', async () => {
    const env = {
      ...GOOD,
      SECURE_SSL_REDIRECT: undefined,
      SECURE_HSTS_SECONDS: undefined,
      SECURE_HSTS_INCLUDE_SUBDOMAINS: undefined,
      SECURE_HSTS_PRELOAD: undefined,
      SESSION_COOKIE_SECURE: undefined,
      CSRF_COOKIE_SECURE: undefined,
      TRUST_PROXY_HEADERS: undefined,
      SERVER_TLS_CERT: tls.cert,
      SERVER_TLS_KEY: tls.key,
    };
    const [implied, chosen] = await Promise.all([
      deploy(env, '--fail-level', 'info'),
      deploy({ ...env, SECURE_HSTS_PRELOAD: 'true' }, '--fail-level', 'info'),
    ]);
    assert.deepEqual(idsAt(implied, 'INFO'), ['hoplink.I003', 'hoplink.I001'], show(implied));
    assert.deepEqual(listed(implied), { errors: [], warnings: [] }, show(implied));
    assert.deepEqual(idsAt(chosen, 'INFO'), ['hoplink.I001'], show(chosen));
  });

  for (const [adminPath, problem] of [
    ['admin', /must be a slash and one path segment/],
    ['/staff/queues', /must be a slash and one path segment/],
    ['/', /must be a slash and one path segment/],
    ['/API', /"\/API" is one of Hoplink's own paths/],
    ['/links', /"\/links" is one of Hoplink's own paths/],
  ] as const) {
    it(`refuses ADMIN_PATH=${adminPath} with hoplink.E010`, async () => {
      const run = await deploy({ ...GOOD, ADMIN_PATH: adminPath });
      assert.equal(run.code, 1, show(run));
      assert.deepEqual(listed(run), { errors: ['hoplink.E010'], warnings: [] }, show(run));
      assert.match(run.stdout, problem);
    });
  }

  it('refuses an ADMIN_ALLOWED_IPS entry that is not a CIDR block', async () => {
    const run = await deploy({ ...GOOD, ADMIN_ALLOWED_IPS: '203.0.113.0/24,office' });
    assert.equal(run.code, 1, show(run));
    assert.deepEqual(listed(run), { errors: ['hoplink.E010'], warnings: [] }, show(run));
    assert.match(run.stdout, /ADMIN_ALLOWED_IPS: .*"office" is not a CIDR block/);
  });

  it('does not flag the stand-in SITE_URL as http when SITE_URL is missing', async () => {
    const run = await deploy({ ...GOOD, SITE_URL: undefined }, '--fail-level', 'warning');
    assert.equal(run.code, 1, show(run));
    assert.deepEqual(listed(run), { errors: ['hoplink.E011'], warnings: [] }, show(run));
  });

  it('prints the findings as JSON with --json', async () => {
    const run = await deploy(
      { ...GOOD, ALLOWED_HOSTS: '*', X_FRAME_OPTIONS: 'SAMEORIGIN' },
      '--json',
    );
    assert.equal(run.code, 1, show(run));
    const report = JSON.parse(run.stdout) as {
      profile: string;
      deploy: boolean;
      failLevel: string;
      findings: { id: string; level: string; setting?: string; message: string; hint: string }[];
    };
    assert.equal(report.profile, 'production');
    assert.equal(report.deploy, true);
    assert.equal(report.failLevel, 'error');
    assert.deepEqual(
      report.findings.map(({ id, level, setting }) => ({ id, level, setting })),
      [
        { id: 'hoplink.E004', level: 'error', setting: 'ALLOWED_HOSTS' },
        { id: 'hoplink.W007', level: 'warning', setting: 'X_FRAME_OPTIONS' },
        { id: 'hoplink.I001', level: 'info', setting: 'DATABASE_URL' },
      ],
    );
    for (const finding of report.findings) {
      assert.ok(finding.message.length > 0 && finding.hint.length > 0);
    }
  });

  it('reads .env from the working directory, and checks without --deploy too', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    writeFileSync(join(cwd, '.env'), 'NODE_ENV=production\nDEBUG=true\n');
    const run = await check(
      [],
      {
        SECRET_KEY,
        ALLOWED_HOSTS: 'hop.example.com',
        SITE_URL: 'https://hop.example.com',
        DATABASE_URL: GOOD.DATABASE_URL,
        REDIS_URL: GOOD.REDIS_URL,
        EMAIL_URL: GOOD.EMAIL_URL,
      },
      cwd,
    );
    assert.equal(run.code, 1, show(run));
    assert.deepEqual(listed(run), { errors: ['hoplink.E005'], warnings: [] }, show(run));
    assert.match(run.stdout, /\(profile production\)\.$/m);
  });

  for (const [what, args] of [
    ['a bad --fail-level', ['--fail-level', 'fatal']],
    ['an unknown flag', ['--frobnicate']],
    ['a stray argument', ['extra']],
  ] as const) {
    it(`exits 2 on ${what}`, async () => {
      const run = await check([...args, '--dotenv', emptyEnvFile], GOOD, dir);
      assert.equal(run.code, 2, show(run));
      assert.match(run.stderr, /^hoplink: /);
      assert.equal(run.stdout, '');
    });
  }
});

describe('--dotenv', () => {
  it('exits 2 when the named file does not exist, rather than checking without it', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hoplink-dotenv-'));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const run = await check(['--dotenv', join(dir, 'missing.env')], GOOD, dir);
    assert.equal(run.code, 2, show(run));
    assert.match(run.stderr, /--dotenv: no such file/);
  });
});

describe('.env.production.example', () => {
  const EXAMPLE = '.env.production.example';

  it('names its secret through SECRET_KEY_FILE, never a literal key', () => {
    const text = readFileSync(join(ROOT, EXAMPLE), 'utf8');
    assert.match(text, /^SECRET_KEY_FILE=\/run\/secrets\/hoplink_secret_key$/m);
    assert.doesNotMatch(text, /^\s*SECRET_KEY\s*=/m);
  });

  // The CI gate: exactly this command, from the repository root.
  const gate = ['--deploy', '--fail-level', 'warning', '--dotenv', EXAMPLE];

  it('passes the deploy audit with warnings failing, given a real secret file', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hoplink-example-'));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const keyFile = join(dir, 'hoplink_secret_key');
    writeFileSync(keyFile, `${SECRET_KEY}\n`, { mode: 0o600 });
    const databaseUrlFile = join(dir, 'hoplink_database_url');
    writeFileSync(databaseUrlFile, `${GOOD.DATABASE_URL ?? ''}\n`, { mode: 0o600 });
    const serviceFiles = Object.fromEntries(
      (['REDIS_URL', 'EMAIL_URL'] as const).map((name) => {
        const file = join(dir, name.toLowerCase());
        writeFileSync(file, `${GOOD[name] ?? ''}\n`, { mode: 0o600 });
        return [`${name}_FILE`, file];
      }),
    );
    const run = await check(
      gate,
      { SECRET_KEY_FILE: keyFile, DATABASE_URL_FILE: databaseUrlFile, ...serviceFiles },
      ROOT,
    );
    assert.equal(run.code, 0, show(run));
    assert.match(
      run.stdout,
      /^0 errors, 0 warnings, \d+ notes? \(profile production, deploy audit\)\.$/m,
    );
    // CI runs this gate at --fail-level info against a migrated database: the unreachable
    // database here (I001) must be the only note.
    assert.deepEqual(idsAt(run, 'INFO'), ['hoplink.I001'], show(run));
  });

  it('fails the same gate when the secret file is not there', async () => {
    const missing = join(tmpdir(), `hoplink-no-secret-${randomBytes(8).toString('hex')}`);
    const run = await check(gate, { SECRET_KEY_FILE: missing }, ROOT);
    assert.equal(run.code, 1, show(run));
    assert.ok(listed(run).errors.includes('hoplink.E012'), show(run));
  });
});
