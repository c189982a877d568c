// The Prometheus side of deploy/: the alert rules and the sample scrape configuration, checked by
// promtool (Debian package prometheus), and the Grafana dashboard read as what Grafana imports.
// Their queries are run against a real Prometheus in test/e2e/metrics.test.ts.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PROMETHEUS, promtool } from '#test/helpers/prometheus.ts';

const DIR = join(import.meta.dirname, '..', '..', 'deploy', 'prometheus');
const DASHBOARD = join(
  import.meta.dirname,
  '..',
  '..',
  'deploy',
  'grafana',
  'hoplink-dashboard.json',
);

describe('deploy/prometheus, by promtool', { skip: PROMETHEUS.skip }, () => {
  test('alerts.yml: `promtool check rules` is clean', () => {
    const run = promtool(['check', 'rules', join(DIR, 'alerts.yml')]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /SUCCESS: \d+ rules found/);
    assert.doesNotMatch(run.output, /WARNING/);
  });

  test('alerts.test.yml: each alert fires on its series, not before its `for`', () => {
    const run = promtool(['test', 'rules', join(DIR, 'alerts.test.yml')]);
    assert.equal(run.code, 0, run.output);
  });

  test('prometheus.yml: `promtool check config` is clean (with the token file in place)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoplink-promconfig-'));
    try {
      const token = join(dir, 'hoplink-metrics-token');
      writeFileSync(token, 'x'.repeat(64), { mode: 0o600 });
      copyFileSync(join(DIR, 'alerts.yml'), join(dir, 'alerts.yml'));
      const config = readFileSync(join(DIR, 'prometheus.yml'), 'utf8');
      assert.match(config, /\/etc\/prometheus\/hoplink-metrics-token/);
      writeFileSync(
        join(dir, 'prometheus.yml'),
        config.replaceAll('/etc/prometheus/hoplink-metrics-token', token),
      );
      const run = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
      assert.equal(run.code, 0, run.output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid: string };
  readonly targets?: readonly { readonly expr: string }[];
}

test('the Grafana dashboard: every panel queries the chosen Prometheus, with Hoplink metrics', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    panels: readonly Panel[];
    templating: { list: readonly { name: string }[] };
  };
  assert.equal(dashboard.uid, 'hoplink');
  assert.deepEqual(
    dashboard.templating.list.map((variable) => variable.name),
    ['datasource', 'web_job', 'worker_job'],
  );
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
  assert.ok(panels.length > 10);
  for (const panel of panels) {
    assert.equal(panel.datasource?.uid, '${datasource}', panel.title);
    assert.ok((panel.targets ?? []).length > 0, panel.title);
    for (const target of panel.targets ?? []) assert.match(target.expr, /job=~"\$/, panel.title);
  }
});
