import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { inspect } from 'node:util';
import { writeTlsFiles, type TlsFiles } from '#test/helpers/tls.ts';
import {
  deployChecks,
  describeEffectiveSettings,
  formatFindings,
  hasErrors,
  loadSettings,
  secretKeyWeakness,
  type Finding,
  type LoadedSettings,
  type LoadSettingsOptions,
} from './index.ts';

type Env = Record<string, string | undefined>;

const strongKey = () => randomBytes(48).toString('base64url');

/** The smallest production configuration the loader accepts without a finding. */
const production = (): Env => ({
  NODE_ENV: 'production',
  SECRET_KEY: strongKey(),
  ALLOWED_HOSTS: 'hop.example.com',
  SITE_URL: 'https://hop.example.com',
  DATABASE_URL: 'postgres://hoplink:db-password@db.internal:5432/hoplink',
  REDIS_URL: 'redis://:redis-password@redis.internal:6379/0',
  EMAIL_URL: 'smtp://hoplink:mail-password@mail.internal:587',
});

/** A fresh, empty working directory (so no stray .env is read), removed after the test. */
function workspace(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hoplink-settings-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function load(cwd: string, env: Env, options: Partial<LoadSettingsOptions> = {}): LoadedSettings {
  return loadSettings({ env, cwd, persistDevSecret: false, ...options });
}

const findingsWith = (loaded: LoadedSettings, id: string): Finding[] =>
  loaded.findings.filter((finding) => finding.id === id);

function only(loaded: LoadedSettings, id: string): Finding {
  const found = findingsWith(loaded, id);
  assert.equal(
    found.length,
    1,
    `expected exactly one ${id}, got:\n${formatFindings(loaded.findings)}`,
  );
  return found[0]!;
}

function assertNoFindings(loaded: LoadedSettings): void {
  assert.deepEqual(loaded.findings, [], formatFindings(loaded.findings));
}

const SECURE_OFF = {
  secureSslRedirect: false,
  secureHstsSeconds: 0,
  secureHstsIncludeSubdomains: false,
  secureHstsPreload: false,
  sessionCookieSecure: false,
  csrfCookieSecure: false,
};
const SECURE_ON = {
  secureSslRedirect: true,
  secureHstsSeconds: 31_536_000,
  secureHstsIncludeSubdomains: true,
  // Preloading is never implied by TLS: it must be chosen (decision 0015).
  secureHstsPreload: false,
  sessionCookieSecure: true,
  csrfCookieSecure: true,
};

function secureSettings(loaded: LoadedSettings): typeof SECURE_OFF {
  const { settings } = loaded;
  return {
    secureSslRedirect: settings.secureSslRedirect,
    secureHstsSeconds: settings.secureHstsSeconds,
    secureHstsIncludeSubdomains: settings.secureHstsIncludeSubdomains,
    secureHstsPreload: settings.secureHstsPreload,
    sessionCookieSecure: settings.sessionCookieSecure,
    csrfCookieSecure: settings.csrfCookieSecure,
  };
}

describe('the TLS matrix', () => {
  let dir: string;
  let tls: TlsFiles;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoplink-tls-'));
    tls = await writeTlsFiles(dir);
    writeFileSync(join(dir, 'not-a-cert.pem'), 'hello\n');
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const profiles = [
    {
      name: 'development',
      env: (): Env => ({ NODE_ENV: 'development', SECRET_KEY: strongKey() }),
      level: 'warning',
    },
    { name: 'production', env: production, level: 'error' },
  ] as const;

  for (const profile of profiles) {
    describe(profile.name, () => {
      it('serves HTTPS with secure defaults on when both files are readable and match', (t) => {
        const loaded = load(workspace(t), {
          ...profile.env(),
          SERVER_TLS_CERT: tls.cert,
          SERVER_TLS_KEY: tls.key,
        });
        assertNoFindings(loaded);
        assert.equal(loaded.settings.tls?.certPath, tls.cert);
        assert.equal(loaded.settings.tls.key.reveal(), readFileSync(tls.key, 'utf8'));
        assert.ok(loaded.settings.tls.validTo > new Date());
        assert.deepEqual(secureSettings(loaded), SECURE_ON);
      });

      it('serves plain HTTP with secure defaults off when neither is set', (t) => {
        const loaded = load(workspace(t), profile.env());
        assertNoFindings(loaded);
        assert.equal(loaded.settings.tls, null);
        assert.deepEqual(secureSettings(loaded), SECURE_OFF);
      });

      const problems: {
        name: string;
        env: () => Env;
        id: string;
        setting: string;
        mentions?: () => string;
      }[] = [
        {
          name: 'only the certificate',
          env: () => ({ SERVER_TLS_CERT: tls.cert }),
          id: 'hoplink.E006',
          setting: 'SERVER_TLS_KEY',
        },
        {
          name: 'only the key',
          env: () => ({ SERVER_TLS_KEY: tls.key }),
          id: 'hoplink.E006',
          setting: 'SERVER_TLS_CERT',
        },
        {
          name: 'a certificate file that does not exist',
          env: () => ({ SERVER_TLS_CERT: join(dir, 'missing.pem'), SERVER_TLS_KEY: tls.key }),
          id: 'hoplink.E007',
          setting: 'SERVER_TLS_CERT',
          mentions: () => join(dir, 'missing.pem'),
        },
        {
          name: 'a key path that is a directory',
          env: () => ({ SERVER_TLS_CERT: tls.cert, SERVER_TLS_KEY: dir }),
          id: 'hoplink.E007',
          setting: 'SERVER_TLS_KEY',
          mentions: () => dir,
        },
        {
          name: 'a key that does not match the certificate',
          env: () => ({ SERVER_TLS_CERT: tls.cert, SERVER_TLS_KEY: tls.otherKey }),
          id: 'hoplink.E008',
          setting: 'SERVER_TLS_KEY',
          mentions: () => tls.otherKey,
        },
        {
          name: 'a certificate file that holds no certificate',
          env: () => ({ SERVER_TLS_CERT: join(dir, 'not-a-cert.pem'), SERVER_TLS_KEY: tls.key }),
          id: 'hoplink.E008',
          setting: 'SERVER_TLS_CERT',
        },
      ];
      for (const problem of problems) {
        it(`reports ${problem.name} as ${problem.id} (${profile.level}) and stays on HTTP`, (t) => {
          const loaded = load(workspace(t), { ...profile.env(), ...problem.env() });
          const finding = only(loaded, problem.id);
          assert.equal(finding.level, profile.level);
          assert.equal(finding.setting, problem.setting);
          if (problem.mentions)
            assert.ok(finding.message.includes(problem.mentions()), finding.message);
          assert.equal(loaded.findings.length, 1, formatFindings(loaded.findings));
          assert.equal(hasErrors(loaded.findings), profile.name === 'production');
          assert.equal(loaded.settings.tls, null);
          assert.deepEqual(secureSettings(loaded), SECURE_OFF);
        });
      }
    });
  }

  it('lets the environment override each TLS-derived default', (t) => {
    const loaded = load(workspace(t), {
      ...production(),
      SERVER_TLS_CERT: tls.cert,
      SERVER_TLS_KEY: tls.key,
      SECURE_HSTS_SECONDS: '0',
      SECURE_HSTS_PRELOAD: 'true',
      SESSION_COOKIE_SECURE: 'false',
    });
    assertNoFindings(loaded);
    assert.notEqual(loaded.settings.tls, null);
    assert.deepEqual(secureSettings(loaded), {
      ...SECURE_ON,
      secureHstsSeconds: 0,
      secureHstsPreload: true,
      sessionCookieSecure: false,
    });
    assert.equal(loaded.sources.get('secureHstsSeconds'), 'environment');
    assert.equal(loaded.sources.get('secureSslRedirect'), 'default');
  });

  it('turns secure settings on without TLS when the environment says so (behind a proxy)', (t) => {
    const loaded = load(workspace(t), {
      ...production(),
      SECURE_SSL_REDIRECT: 'true',
      SECURE_HSTS_SECONDS: '3600',
    });
    assertNoFindings(loaded);
    assert.deepEqual(secureSettings(loaded), {
      ...SECURE_OFF,
      secureSslRedirect: true,
      secureHstsSeconds: 3600,
    });
  });
});

describe('production refuses', () => {
  const refusals: { name: string; env: Env; id: string; setting: string }[] = [
    {
      name: 'a missing SECRET_KEY',
      env: { SECRET_KEY: undefined },
      id: 'hoplink.E001',
      setting: 'SECRET_KEY',
    },
    {
      name: 'a blank SECRET_KEY',
      env: { SECRET_KEY: '   ' },
      id: 'hoplink.E001',
      setting: 'SECRET_KEY',
    },
    {
      name: 'a short SECRET_KEY',
      env: { SECRET_KEY: 'Zq3$vB9!xK' },
      id: 'hoplink.E002',
      setting: 'SECRET_KEY',
    },
    {
      name: 'a low-entropy SECRET_KEY',
      env: { SECRET_KEY: 'abcd'.repeat(20) },
      id: 'hoplink.E002',
      setting: 'SECRET_KEY',
    },
    {
      name: 'an insecure-prefixed SECRET_KEY',
      env: { SECRET_KEY: `insecure-${strongKey()}` },
      id: 'hoplink.E002',
      setting: 'SECRET_KEY',
    },
    {
      name: 'a change-me SECRET_KEY',
      env: { SECRET_KEY: `CHANGE-ME-${strongKey()}` },
      id: 'hoplink.E002',
      setting: 'SECRET_KEY',
    },
    {
      name: 'a dev SECRET_KEY',
      env: { SECRET_KEY: `dev-${strongKey()}` },
      id: 'hoplink.E002',
      setting: 'SECRET_KEY',
    },
    {
      name: 'a missing ALLOWED_HOSTS',
      env: { ALLOWED_HOSTS: undefined },
      id: 'hoplink.E003',
      setting: 'ALLOWED_HOSTS',
    },
    {
      name: 'an empty ALLOWED_HOSTS',
      env: { ALLOWED_HOSTS: '' },
      id: 'hoplink.E003',
      setting: 'ALLOWED_HOSTS',
    },
    {
      name: 'an ALLOWED_HOSTS of blanks',
      env: { ALLOWED_HOSTS: ' , ,' },
      id: 'hoplink.E003',
      setting: 'ALLOWED_HOSTS',
    },
    {
      name: 'ALLOWED_HOSTS=*',
      env: { ALLOWED_HOSTS: '*' },
      id: 'hoplink.E004',
      setting: 'ALLOWED_HOSTS',
    },
    { name: 'DEBUG=true', env: { DEBUG: 'true' }, id: 'hoplink.E005', setting: 'DEBUG' },
    {
      name: 'a missing SITE_URL',
      env: { SITE_URL: undefined },
      id: 'hoplink.E011',
      setting: 'SITE_URL',
    },
  ];
  for (const refusal of refusals) {
    it(`${refusal.name} with exactly one ${refusal.id} error`, (t) => {
      const loaded = load(workspace(t), { ...production(), ...refusal.env });
      const finding = only(loaded, refusal.id);
      assert.equal(finding.level, 'error');
      assert.equal(finding.setting, refusal.setting);
      assert.equal(loaded.findings.length, 1, formatFindings(loaded.findings));
    });
  }

  it('accepts a strong SECRET_KEY (the control for the cases above)', (t) => {
    assertNoFindings(load(workspace(t), production()));
    assert.equal(secretKeyWeakness(strongKey()), null);
  });

  const everythingWrong: Env = {
    ...production(),
    SECRET_KEY: 'short',
    ALLOWED_HOSTS: '*',
    DEBUG: 'true',
    SITE_URL: undefined,
    CORS_ALLOWED_ORIGINS: '*',
    CSRF_TRUSTED_ORIGINS: 'app.example.com',
    SERVER_PORT: 'eighty',
    SECURE_HSTS_PRELOAD: 'maybe',
    SERVER_TLS_CERT: '/nonexistent/cert.pem',
  };

  it('reports every problem together, each as an error', (t) => {
    const loaded = load(workspace(t), everythingWrong);
    const reported = loaded.findings.map(
      (finding) => `${finding.level} ${finding.id} ${finding.setting ?? ''}`,
    );
    assert.deepEqual(reported.sort(), [
      'error hoplink.E002 SECRET_KEY',
      'error hoplink.E004 ALLOWED_HOSTS',
      'error hoplink.E005 DEBUG',
      'error hoplink.E006 SERVER_TLS_KEY',
      'error hoplink.E009 CORS_ALLOWED_ORIGINS',
      'error hoplink.E010 SECURE_HSTS_PRELOAD',
      'error hoplink.E010 SERVER_PORT',
      'error hoplink.E011 SITE_URL',
      'error hoplink.E013 CSRF_TRUSTED_ORIGINS',
    ]);
  });

  it('only warns about the forgiving ones in development, but still rejects invalid values', (t) => {
    const loaded = load(workspace(t), { ...everythingWrong, NODE_ENV: 'development' });
    const levels = Object.fromEntries(
      loaded.findings.map((finding) => [finding.id, finding.level]),
    );
    assert.deepEqual(levels, {
      'hoplink.E002': 'warning',
      'hoplink.E004': 'warning',
      'hoplink.E006': 'warning',
      'hoplink.E009': 'error',
      'hoplink.E010': 'error',
      'hoplink.E013': 'error',
    });
  });

  it('judges an unknown NODE_ENV by the production rules and reports it once', (t) => {
    const loaded = load(workspace(t), { NODE_ENV: 'staging' });
    assert.equal(loaded.settings.profile, 'production');
    assert.equal(loaded.settings.nodeEnv, 'production');
    assert.equal(only(loaded, 'hoplink.E010').setting, 'NODE_ENV');
    assert.match(only(loaded, 'hoplink.E010').message, /"staging"/);
    assert.equal(only(loaded, 'hoplink.E001').level, 'error');
  });

  it('never throws on an invalid required setting, and the audit still runs', (t) => {
    const loaded = load(workspace(t), {
      ...production(),
      ALLOWED_HOSTS: 'not a host!',
      SITE_URL: 'ftp://x',
    });
    assert.deepEqual(loaded.findings.map((finding) => finding.setting).sort(), [
      'ALLOWED_HOSTS',
      'SITE_URL',
    ]);
    assert.ok(
      loaded.findings.every(
        (finding) => finding.id === 'hoplink.E010' && finding.level === 'error',
      ),
    );
    assert.doesNotThrow(() => deployChecks(loaded));
  });
});

describe('secrets', () => {
  it('never appear in findings, the effective settings or serialised settings', async (t) => {
    const cwd = workspace(t);
    const tls = await writeTlsFiles(cwd);
    const secrets = {
      weak: `insecure-${randomBytes(24).toString('hex')}`,
      fallbackA: `fallback-${randomBytes(24).toString('hex')}`,
      fallbackB: `fallback-${randomBytes(24).toString('hex')}`,
      typo: `typo-${randomBytes(24).toString('hex')}`,
    };
    const tlsKeyBody = readFileSync(tls.key, 'utf8').split('\n')[1]!;
    writeFileSync(join(cwd, 'fallbacks'), `${secrets.fallbackA},${secrets.fallbackB}\n`, {
      mode: 0o600,
    });
    const loaded = load(cwd, {
      NODE_ENV: 'production',
      SECRET_KEY: secrets.weak,
      SECRET_KEY_FALLBACKS_FILE: 'fallbacks',
      SECRET_KEYS: secrets.typo,
      ALLOWED_HOSTS: 'hop.example.com',
      SITE_URL: 'https://hop.example.com',
      SERVER_TLS_CERT: tls.cert,
      SERVER_TLS_KEY: tls.key,
      DATABASE_URL: 'postgres://hoplink:db-password@db.internal:5432/hoplink',
      REDIS_URL: 'redis://redis.internal:6379',
      EMAIL_URL: 'smtp://mail.internal:587',
    });
    assert.equal(loaded.settings.secretKey.reveal(), secrets.weak);
    assert.deepEqual(
      loaded.settings.secretKeyFallbacks.map((secret) => secret.reveal()),
      [secrets.fallbackA, secrets.fallbackB],
    );
    assert.ok(
      findingsWith(loaded, 'hoplink.E002').length === 1 &&
        findingsWith(loaded, 'hoplink.W016').length === 1,
    );

    const outputs = {
      findings:
        JSON.stringify(loaded.findings) +
        formatFindings([...loaded.findings, ...deployChecks(loaded)]),
      described: describeEffectiveSettings(loaded),
      json: JSON.stringify(loaded.settings),
      inspected: inspect(loaded.settings, { depth: Infinity }),
    };
    for (const [where, output] of Object.entries(outputs)) {
      for (const [name, value] of Object.entries({ ...secrets, tlsKeyBody })) {
        assert.ok(!output.includes(value), `${name} leaked into ${where}`);
      }
    }
    assert.match(outputs.described, /^SECRET_KEY\s+\*{8}\s/m);
  });
});

describe('booleans', () => {
  for (const [text, value] of [
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    [' Yes ', true],
    ['false', false],
    ['False', false],
    ['0', false],
    ['no', false],
    ['NO', false],
  ] as const) {
    it(`reads "${text}" as ${String(value)}`, (t) => {
      const loaded = load(workspace(t), { TRUST_PROXY_HEADERS: text, CSP_REPORT_ONLY: text });
      assert.equal(loaded.settings.trustProxyHeaders, value);
      assert.equal(loaded.settings.cspReportOnly, value);
      assert.equal(hasErrors(loaded.findings), false, formatFindings(loaded.findings));
    });
  }

  for (const text of ['on', 'off', 'y', 'maybe', '2', '']) {
    it(`rejects "${text}" with an error naming the variable, in development too`, (t) => {
      const loaded = load(workspace(t), { NODE_ENV: 'development', SECURE_SSL_REDIRECT: text });
      const finding = only(loaded, 'hoplink.E010');
      assert.equal(finding.level, 'error');
      assert.equal(finding.setting, 'SECURE_SSL_REDIRECT');
      assert.match(
        formatFindings([finding]),
        /SECURE_SSL_REDIRECT: must be a boolean: true\/false, 1\/0, yes\/no/,
      );
    });
  }
});

describe('lists', () => {
  it('are comma-separated with blanks ignored', (t) => {
    const loaded = load(workspace(t), {
      ...production(),
      ALLOWED_HOSTS: ' hop.example.com, ,.example.org,,10.0.0.0/8, ',
      CSRF_TRUSTED_ORIGINS: ',, ,',
      SECRET_KEY_FALLBACKS: ` ${'a'.repeat(8)}-old ,, `,
    });
    assertNoFindings(loaded);
    assert.deepEqual(loaded.settings.allowedHosts, [
      'hop.example.com',
      '.example.org',
      '10.0.0.0/8',
    ]);
    assert.deepEqual(loaded.settings.csrfTrustedOrigins, []);
    assert.deepEqual(
      loaded.settings.secretKeyFallbacks.map((secret) => secret.reveal()),
      [`${'a'.repeat(8)}-old`],
    );
  });

  it('report each invalid item', (t) => {
    const loaded = load(workspace(t), { TRUSTED_PROXIES: '10.0.0.0/8,proxy.local,300.0.0.0/8' });
    const finding = only(loaded, 'hoplink.E010');
    assert.match(finding.message, /"proxy\.local" is not a CIDR block/);
    assert.match(finding.message, /"300\.0\.0\.0\/8" is not a CIDR block/);
  });
});

describe('NAME_FILE for secrets', () => {
  it('reads the secret from the file, trailing newline dropped, path relative to cwd', (t) => {
    const cwd = workspace(t);
    const key = strongKey();
    mkdirSync(join(cwd, 'secrets'));
    writeFileSync(join(cwd, 'secrets', 'key'), `${key}\n`, { mode: 0o600 });
    const loaded = load(cwd, {
      ...production(),
      SECRET_KEY: undefined,
      SECRET_KEY_FILE: 'secrets/key',
    });
    assertNoFindings(loaded);
    assert.equal(loaded.settings.secretKey.reveal(), key);
    assert.equal(loaded.sources.get('secretKey'), join(cwd, 'secrets', 'key'));
    assert.deepEqual(loaded.environment.files, [
      { path: join(cwd, 'secrets', 'key'), holdsSecrets: true },
    ]);
  });

  it('refuses NAME and NAME_FILE together', (t) => {
    const cwd = workspace(t);
    writeFileSync(join(cwd, 'key'), strongKey(), { mode: 0o600 });
    const loaded = load(cwd, { ...production(), SECRET_KEY_FILE: join(cwd, 'key') });
    const finding = only(loaded, 'hoplink.E012');
    assert.equal(finding.level, 'error');
    assert.match(finding.message, /both SECRET_KEY and SECRET_KEY_FILE are set/);
  });

  it('reports a file it cannot read, naming the variable and the path', (t) => {
    const cwd = workspace(t);
    const path = join(cwd, 'no-such-secret');
    const loaded = load(cwd, { NODE_ENV: 'development', SECRET_KEY_FILE: path });
    const finding = only(loaded, 'hoplink.E012');
    assert.equal(finding.level, 'error');
    assert.equal(finding.setting, 'SECRET_KEY_FILE');
    assert.ok(finding.message.includes(`cannot read ${path} (ENOENT)`), finding.message);
  });
});

describe('the .env file', () => {
  it('is read from cwd, and the real environment wins', (t) => {
    const cwd = workspace(t);
    writeFileSync(
      join(cwd, '.env'),
      [
        '# comment',
        'ALLOWED_HOSTS=from-dotenv.example.com',
        'SERVER_PORT=9000',
        'LOG_LEVEL="warn"',
        '',
      ].join('\n'),
    );
    const loaded = load(cwd, { SERVER_PORT: '9100' });
    assertNoFindings(loaded);
    assert.deepEqual(loaded.settings.allowedHosts, ['from-dotenv.example.com']);
    assert.equal(loaded.settings.logLevel, 'warn');
    assert.equal(loaded.settings.serverPort, 9100);
    assert.equal(loaded.sources.get('allowedHosts'), '.env');
    assert.equal(loaded.sources.get('serverPort'), 'environment');
  });

  it('can be another file, relative to cwd, and is listed when it holds secrets', (t) => {
    const cwd = workspace(t);
    mkdirSync(join(cwd, 'config'));
    const key = strongKey();
    writeFileSync(join(cwd, 'config', 'app.env'), `SECRET_KEY=${key}\nSERVER_PORT=9200\n`);
    writeFileSync(join(cwd, '.env'), 'SERVER_PORT=9300\n');
    const loaded = load(cwd, {}, { envFile: 'config/app.env' });
    assert.equal(loaded.settings.serverPort, 9200);
    assert.equal(loaded.settings.secretKey.reveal(), key);
    assert.deepEqual(loaded.environment.files, [
      { path: join(cwd, 'config', 'app.env'), holdsSecrets: true },
    ]);
  });
});

describe('SITE_URL', () => {
  let dir: string;
  let tls: TlsFiles;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoplink-site-url-'));
    tls = await writeTlsFiles(dir);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const development = (env: Env): Env => ({ NODE_ENV: 'development', ...env });

  it('follows SERVER_PORT in development, from the environment or .env', (t) => {
    assert.equal(load(workspace(t), development({})).settings.siteUrl, 'http://localhost:8000');
    const moved = load(workspace(t), development({ SERVER_PORT: '8123' }));
    assertNoFindings(moved);
    assert.equal(moved.settings.siteUrl, 'http://localhost:8123');
    assert.equal(moved.sources.get('siteUrl'), 'default');

    const cwd = workspace(t);
    writeFileSync(join(cwd, '.env'), 'SERVER_PORT=8124\n');
    assert.equal(load(cwd, development({})).settings.siteUrl, 'http://localhost:8124');
  });

  it('is https with TLS on', (t) => {
    const loaded = load(
      workspace(t),
      development({ SERVER_PORT: '8443', SERVER_TLS_CERT: tls.cert, SERVER_TLS_KEY: tls.key }),
    );
    assertNoFindings(loaded);
    assert.equal(loaded.settings.siteUrl, 'https://localhost:8443');
  });

  it('set explicitly wins over the port', (t) => {
    const loaded = load(
      workspace(t),
      development({ SERVER_PORT: '8123', SITE_URL: 'http://hop.localtest.me:9000/' }),
    );
    assertNoFindings(loaded);
    assert.equal(loaded.settings.siteUrl, 'http://hop.localtest.me:9000');
    assert.equal(loaded.sources.get('siteUrl'), 'environment');
  });

  it('adds no finding of its own when SERVER_PORT is invalid', (t) => {
    const loaded = load(workspace(t), development({ SERVER_PORT: 'eighty' }));
    assert.deepEqual(
      loaded.findings.map((finding) => finding.setting),
      ['SERVER_PORT'],
    );
    assert.equal(loaded.settings.siteUrl, 'http://localhost:8000');
  });

  it('stays required in production, whatever the port', (t) => {
    const loaded = load(workspace(t), {
      ...production(),
      SITE_URL: undefined,
      SERVER_PORT: '8123',
    });
    assert.deepEqual(
      loaded.findings.map((finding) => `${finding.level} ${finding.setting ?? ''}`),
      ['error SITE_URL'],
    );
    assert.match(loaded.findings[0]?.message ?? '', /required in production/);
  });
});

describe('likely typos', () => {
  for (const [typo, meant, source] of [
    ['ALLOWED_HOST', 'ALLOWED_HOSTS', 'environment'],
    ['SECRET_KEYS', 'SECRET_KEY', 'environment'],
    ['SITE_URI', 'SITE_URL', '.env'],
  ] as const) {
    it(`warns that ${typo} (${source}) resembles ${meant}`, (t) => {
      const cwd = workspace(t);
      if (source === '.env') writeFileSync(join(cwd, '.env'), `${typo}=x\n`);
      const loaded = load(cwd, {
        ...production(),
        ...(source === 'environment' ? { [typo]: 'x' } : {}),
      });
      const finding = only(loaded, 'hoplink.W016');
      assert.equal(finding.level, 'warning');
      assert.equal(finding.setting, typo);
      assert.match(finding.message, new RegExp(`did you mean ${meant}\\?`));
      assert.equal(loaded.findings.length, 1, formatFindings(loaded.findings));
    });
  }

  it('leaves unrelated and known variables alone', (t) => {
    const loaded = load(workspace(t), {
      ...production(),
      PATH: '/usr/bin',
      HOME: '/root',
      NODE_OPTIONS: '--enable-source-maps',
      HOSTNAME: 'web-1',
      SECRET_KEY_FALLBACKS: '',
    });
    assertNoFindings(loaded);
  });
});

describe('the development secret', () => {
  it('is generated once into DATA_DIR/.dev-secret with mode 0600 and reused', (t) => {
    const cwd = workspace(t);
    const env = { DATA_DIR: 'var/data' };
    const first = load(cwd, env, { persistDevSecret: true });
    const path = join(cwd, 'var', 'data', '.dev-secret');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const key = first.settings.secretKey.reveal();
    assert.equal(readFileSync(path, 'utf8'), key);
    assert.equal(secretKeyWeakness(key), null);
    assert.equal(only(first, 'hoplink.W017').level, 'warning');
    assert.ok(only(first, 'hoplink.W017').message.includes(path));
    assert.equal(first.sources.get('secretKey'), 'generated (development)');

    chmodSync(path, 0o644);
    const second = load(cwd, env, { persistDevSecret: true });
    assert.equal(second.settings.secretKey.reveal(), key);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('stays in memory when persisting is off, and in the test profile', (t) => {
    const cwd = workspace(t);
    for (const loaded of [
      load(cwd, { NODE_ENV: 'development' }, { persistDevSecret: false }),
      load(cwd, { NODE_ENV: 'test' }, { persistDevSecret: true }),
    ]) {
      assert.equal(secretKeyWeakness(loaded.settings.secretKey.reveal()), null);
    }
    assert.equal(existsSync(join(cwd, 'data')), false);
  });

  it('is never generated in production', (t) => {
    const cwd = workspace(t);
    const loaded = load(
      cwd,
      { ...production(), SECRET_KEY: undefined },
      { persistDevSecret: true },
    );
    assert.equal(only(loaded, 'hoplink.E001').level, 'error');
    assert.equal(loaded.settings.secretKey.reveal(), '');
    assert.equal(existsSync(join(cwd, 'data')), false);
  });
});

describe('the settings object', () => {
  it('is deeply frozen', async (t) => {
    const cwd = workspace(t);
    const tls = await writeTlsFiles(cwd);
    const { settings } = load(cwd, {
      ...production(),
      SERVER_TLS_CERT: tls.cert,
      SERVER_TLS_KEY: tls.key,
    });
    assert.ok(settings.tls);
    for (const value of [settings, settings.allowedHosts, settings.trustedProxies, settings.tls]) {
      assert.ok(Object.isFrozen(value));
    }
    assert.throws(() => {
      (settings as { debug: boolean }).debug = true;
    }, TypeError);
    assert.throws(() => {
      (settings.allowedHosts as string[]).push('evil.example.com');
    }, TypeError);
    assert.throws(() => {
      (settings.tls as { certPath: string }).certPath = '/tmp/evil.pem';
    }, TypeError);
    assert.equal(settings.debug, false);
    assert.deepEqual(settings.allowedHosts, ['hop.example.com']);
  });
});

describe('the database settings', () => {
  it('never shows the DATABASE_URL password, and rejects a URL that is not postgres', (t) => {
    const cwd = workspace(t);
    const good = load(cwd, production());
    assert.equal(good.findings.length, 0);
    assert.doesNotMatch(describeEffectiveSettings(good), /db-password/);
    assert.doesNotMatch(inspect(good.settings), /db-password/);

    const bad = load(cwd, { ...production(), DATABASE_URL: 'mysql://root@db/hoplink' });
    const finding = bad.findings.find((item) => item.setting === 'DATABASE_URL');
    assert.equal(finding?.id, 'hoplink.E010');
    assert.equal(finding.level, 'error');
  });

  it('refuses several web workers on the single-process embedded database', (t) => {
    const loaded = load(workspace(t), { NODE_ENV: 'development', WEB_CONCURRENCY: '2' });
    const finding = loaded.findings.find((item) => item.id === 'hoplink.E015');
    assert.equal(finding?.level, 'error');
    assert.equal(finding.setting, 'WEB_CONCURRENCY');
  });
});
