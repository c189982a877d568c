import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseSentryDsn } from '#src/lib/sentry-dsn.ts';
import { load, production, workspace, type Env } from '#test/helpers/settings.ts';
import {
  deployChecks,
  describeEffectiveSettings,
  formatFindings,
  hasErrors,
  loadSettings,
  type LoadedSettings,
} from './index.ts';

const ids = (loaded: LoadedSettings, ...more: { id: string }[]) =>
  [...loaded.findings, ...more].map((finding) => finding.id);

describe('the error tracking settings', () => {
  test('unset: no DSN, no traces, the defaults the container fills in', (t) => {
    const { settings } = load(t, { NODE_ENV: 'test' });
    assert.equal(settings.sentryDsn, undefined);
    assert.equal(settings.sentryEnvironment, undefined);
    assert.equal(settings.sentryRelease, undefined);
    assert.equal(settings.sentryTracesSampleRate, 0);
    // Set but blank, as compose files leave it, is unset too.
    assert.equal(load(t, { NODE_ENV: 'test', SENTRY_DSN: ' ' }).settings.sentryDsn, undefined);
  });

  test('a DSN is a secret: from SENTRY_DSN_FILE too, masked in `hoplink settings`', (t) => {
    const key = randomBytes(16).toString('hex');
    const dsn = `https://${key}@o1.ingest.sentry.io/42`;
    const dir = workspace(t);
    writeFileSync(join(dir, 'dsn'), `${dsn}\n`);
    const loaded = loadSettings({
      env: { ...production(), SENTRY_DSN_FILE: join(dir, 'dsn') },
      cwd: dir,
      persistDevSecret: false,
    });
    assert.equal(loaded.settings.sentryDsn?.reveal(), dsn);
    assert.ok(!describeEffectiveSettings(loaded).includes(key));
    assert.ok(!formatFindings(loaded.findings).includes(key));
  });

  test('E018: a DSN the SDK would refuse stops the start, without printing the key', (t) => {
    const key = randomBytes(16).toString('hex');
    for (const value of [
      `https://o1.ingest.sentry.io/42`,
      `ftp://${key}@o1.ingest.sentry.io/42`,
      `https://${key}@o1.ingest.sentry.io/project`,
      `https://${key}@o1.ingest.sentry.io/42/`,
      `https://${key}@o1.ingest.sentry.io:99999/42`,
      key,
    ]) {
      for (const profile of ['development', 'production']) {
        const env = profile === 'production' ? production() : { NODE_ENV: profile };
        const loaded = load(t, { ...env, SENTRY_DSN: value });
        assert.ok(hasErrors(loaded.findings), value);
        assert.deepEqual(ids(loaded), ['hoplink.E018'], formatFindings(loaded.findings));
        assert.equal(loaded.findings[0]?.setting, 'SENTRY_DSN');
        assert.ok(!formatFindings(loaded.findings).includes(key), value);
      }
    }
  });

  test('the DSNs Sentry hands out are accepted', () => {
    for (const value of [
      'https://0123456789abcdef0123456789abcdef@o450000.ingest.us.sentry.io/4500000000000000',
      'https://public@sentry.example.com/1',
      'https://public:secret@sentry.example.com:8443/sentry/7',
      'http://public@127.0.0.1:9000/1',
      'http://public@[::1]:9000/1',
    ]) {
      assert.ok(parseSentryDsn(value), value);
    }
  });

  test('SENTRY_TRACES_SAMPLE_RATE, SENTRY_ENVIRONMENT and SENTRY_RELEASE are checked', (t) => {
    const good = load(t, {
      NODE_ENV: 'test',
      SENTRY_TRACES_SAMPLE_RATE: '0.25',
      SENTRY_ENVIRONMENT: 'eu-prod',
      SENTRY_RELEASE: 'hoplink@1.2.3+4f2a9c1',
    });
    assert.deepEqual(ids(good), []);
    assert.equal(good.settings.sentryTracesSampleRate, 0.25);
    assert.equal(good.settings.sentryEnvironment, 'eu-prod');
    assert.equal(good.settings.sentryRelease, 'hoplink@1.2.3+4f2a9c1');
    const refused: Env[] = [
      { SENTRY_TRACES_SAMPLE_RATE: '2' },
      { SENTRY_ENVIRONMENT: 'eu prod' },
      { SENTRY_RELEASE: 'a/b' },
      { SENTRY_RELEASE: '..' },
    ];
    for (const env of refused) {
      const loaded = load(t, { NODE_ENV: 'test', ...env });
      assert.deepEqual(ids(loaded), ['hoplink.E010'], JSON.stringify(env));
    }
  });

  test('W023: a DSN over plain http to another machine is flagged by the deploy audit', (t) => {
    const flagged = load(t, {
      ...production(),
      SENTRY_DSN: 'http://public@sentry.internal:9000/3',
    });
    const finding = deployChecks(flagged).find((item) => item.id === 'hoplink.W023');
    assert.ok(finding);
    assert.equal(finding.setting, 'SENTRY_DSN');
    assert.match(finding.message, /sentry\.internal over plain http/);
    for (const dsn of ['https://public@sentry.internal/3', 'http://public@127.0.0.1:9000/3']) {
      const loaded = load(t, { ...production(), SENTRY_DSN: dsn });
      assert.ok(!ids(loaded, ...deployChecks(loaded)).includes('hoplink.W023'), dsn);
    }
  });
});
