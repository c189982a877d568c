import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { runInProcess, showRun } from '#test/helpers/cli.ts';
import { load, production, workspace, type Env } from '#test/helpers/settings.ts';
import { deployChecks, type Finding } from './index.ts';
import { parseListenAddress } from './listen-address.ts';

const TOKEN = randomBytes(32).toString('hex');

const withId = (findings: readonly Finding[], id: string) =>
  findings.filter((finding) => finding.id === id);

describe('metrics settings', () => {
  test('unset by default: no token, no listener', (t) => {
    const { settings, findings } = load(t, production());
    assert.deepEqual(withId(findings, 'hoplink.E010'), []);
    assert.equal(settings.metricsToken, undefined);
    assert.equal(settings.metricsListen, undefined);
    assert.equal(settings.workerMetricsListen, undefined);
  });

  test('METRICS_TOKEN: a secret of 32+ characters, from the variable or METRICS_TOKEN_FILE', (t) => {
    const direct = load(t, { ...production(), METRICS_TOKEN: TOKEN });
    assert.equal(direct.settings.metricsToken?.reveal(), TOKEN);
    assert.doesNotMatch(JSON.stringify(direct.settings), new RegExp(TOKEN));

    const file = join(workspace(t), 'metrics-token');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    const fromFile = load(t, { ...production(), METRICS_TOKEN_FILE: file });
    assert.equal(fromFile.settings.metricsToken?.reveal(), TOKEN);
    assert.equal(fromFile.sources.get('metricsToken'), file);
  });

  test('a short METRICS_TOKEN is refused, naming the setting and never the value', (t) => {
    const short = 'short-metrics-token';
    const { findings } = load(t, { ...production(), METRICS_TOKEN: short });
    const [refused] = withId(findings, 'hoplink.E010');
    assert.equal(refused?.setting, 'METRICS_TOKEN');
    assert.equal(refused.level, 'error');
    assert.match(refused.message, /at least 32 characters/);
    assert.doesNotMatch(JSON.stringify(findings), new RegExp(short));
  });

  test('listen addresses: host:port, [IPv6]:port and port 0; anything else is an error', (t) => {
    assert.deepEqual(parseListenAddress('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseListenAddress('[::1]:9464'), { host: '::1', port: 9464 });
    assert.deepEqual(parseListenAddress('Metrics.Internal:0'), {
      host: 'metrics.internal',
      port: 0,
    });
    for (const bad of ['9464', '127.0.0.1', '::1:9464', '127.0.0.1:65536', '300.1.1.1:9464']) {
      assert.equal(parseListenAddress(bad), null, bad);
    }
    const loaded = load(t, {
      ...production(),
      METRICS_LISTEN: '0.0.0.0:9464',
      WORKER_METRICS_LISTEN: 'localhost',
    });
    assert.deepEqual(loaded.settings.metricsListen, { host: '0.0.0.0', port: 9464 });
    const [refused] = withId(loaded.findings, 'hoplink.E010');
    assert.equal(refused?.setting, 'WORKER_METRICS_LISTEN');
    assert.match(refused.message, /must be host:port/);
  });
});

describe('W022: metrics reachable without a token (check --deploy)', () => {
  const audit = (t: TestContext, env: Env) => withId(deployChecks(load(t, env)), 'hoplink.W022');

  test('raised for each listener bound beyond loopback while METRICS_TOKEN is unset', (t) => {
    const found = audit(t, {
      ...production(),
      METRICS_LISTEN: '0.0.0.0:9464',
      WORKER_METRICS_LISTEN: '[2001:db8::5]:9465',
    });
    assert.deepEqual(
      found.map((finding) => [finding.setting, finding.level]),
      [
        ['METRICS_LISTEN', 'warning'],
        ['WORKER_METRICS_LISTEN', 'warning'],
      ],
    );
    assert.match(found[0]?.message ?? '', /0\.0\.0\.0:9464, reachable from other machines/);
    assert.match(found[1]?.message ?? '', /\[2001:db8::5\]:9465/);
    assert.match(found[0]?.hint ?? '', /METRICS_TOKEN/);
  });

  test('not raised on loopback, with a token, or with metrics off', (t) => {
    assert.deepEqual(
      audit(t, {
        ...production(),
        METRICS_LISTEN: '127.0.0.1:9464',
        WORKER_METRICS_LISTEN: '[::1]:9465',
      }),
      [],
    );
    assert.deepEqual(
      audit(t, { ...production(), METRICS_LISTEN: '0.0.0.0:9464', METRICS_TOKEN: TOKEN }),
      [],
    );
    // The public port's /metrics exists only with the token.
    assert.deepEqual(audit(t, { ...production(), METRICS_TOKEN: TOKEN }), []);
    assert.deepEqual(audit(t, production()), []);
  });

  test('reported by `hoplink check --deploy`, not by a plain `check` (nor at start)', async () => {
    const env = { ...production(), WORKER_METRICS_LISTEN: '0.0.0.0:9465' };
    const plain = await runInProcess(['check', '--json'], { env });
    const plainFindings = (JSON.parse(plain.stdout) as { findings: Finding[] }).findings;
    assert.deepEqual(withId(plainFindings, 'hoplink.W022'), [], showRun(plain));

    const run = await runInProcess(['check', '--deploy', '--json'], { env });
    const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
    assert.deepEqual(
      withId(findings, 'hoplink.W022').map((finding) => finding.setting),
      ['WORKER_METRICS_LISTEN'],
      showRun(run),
    );
  });
});
