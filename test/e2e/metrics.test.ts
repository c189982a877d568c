import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLink } from '#test/factories.ts';
import {
  createTestDatabase,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { metricValue, parseMetrics } from '#test/helpers/metrics-text.ts';
import { PROMETHEUS, PrometheusServer, promtool } from '#test/helpers/prometheus.ts';
import { redisReachable, uniqueQueuePrefix } from '#test/helpers/redis.ts';
import { productionEnv, spawnServe, type ServeProcess } from '#test/helpers/spawn-server.ts';
import { until } from '#test/helpers/until.ts';
import { startWorker, type WorkerProcess } from '#test/helpers/worker-process.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const METRICS_LINE = /metrics served on (http:\/\/[^\s"]+)/;

const ready = (await postgresReachable()) && (await redisReachable());

/** GET on a connection of its own, so cluster's round robin spreads requests over the workers. */
function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => {
        resolve(response.statusCode ?? 0);
      });
    }).on('error', reject);
  });
}

/** `serve` with two workers under tsx starts slowly on a busy machine: a minute, not 20 s. */
async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  const server = spawnServe({ env });
  try {
    await server.ready(60_000);
  } catch (error) {
    server.kill();
    throw error;
  }
  return server;
}

async function redirects(url: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) assert.equal(await getStatus(url), 302);
}

/**
 * Real processes, as production runs them: `serve` with two web workers and `hoplink worker`
 * against PostgreSQL and Redis, scraped over HTTP, checked by promtool and by a real Prometheus.
 */
describe(
  'metrics of real processes (serve with 2 workers, hoplink worker, PostgreSQL, Redis)',
  ready ? { timeout: 300_000 } : { skip: 'needs PostgreSQL and Redis (see .ci/run)' },
  () => {
    const token = randomBytes(32).toString('hex');
    const queue = uniqueQueuePrefix();
    let database: TestDatabase;
    let env: Record<string, string>;
    let serve: ServeProcess;
    let serveMetrics: string;
    /** Takes every queue but clicks, so click batches wait in Redis until a clicks worker starts. */
    let otherJobs: WorkerProcess;
    let otherJobsMetrics: string;
    const workers: WorkerProcess[] = [];

    const scrape = async (url: string, authorization = `Bearer ${token}`) => {
      const response = await fetch(url, { headers: { authorization } });
      assert.equal(response.status, 200, await response.clone().text());
      return response.text();
    };
    const workerMetricsUrl = (worker: WorkerProcess) => {
      const match = METRICS_LINE.exec(worker.stdout);
      assert.ok(match, worker.show());
      return match[1]!;
    };

    before(async () => {
      database = await createTestDatabase('postgres');
      env = {
        ...productionEnv(database.url ?? ''),
        QUEUE_PREFIX: queue.prefix,
        LOG_FORMAT: 'json',
        WEB_CONCURRENCY: '2',
        CLICK_FLUSH_INTERVAL: '100ms',
        METRICS_TOKEN: token,
        METRICS_LISTEN: '127.0.0.1:0',
        WORKER_METRICS_LISTEN: '127.0.0.1:0',
      };
      serve = await startServe(env);
      const match = METRICS_LINE.exec(serve.stdout);
      assert.ok(match, serve.output());
      serveMetrics = match[1]!;
      otherJobs = await startWorker(env, ['email', 'default']);
      workers.push(otherJobs);
      otherJobsMetrics = workerMetricsUrl(otherJobs);
    });

    after(async () => {
      serve.kill();
      for (const worker of workers) worker.child.kill('SIGKILL');
      await database.drop();
      await queue.cleanup();
    });

    test('METRICS_LISTEN asks for the token and serves nothing else; the public port has no /metrics', async () => {
      for (const authorization of ['', 'Bearer wrong', `Basic ${token}`]) {
        const response = await fetch(serveMetrics, { headers: { authorization } });
        assert.equal(response.status, 401, authorization);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="metrics"');
        assert.doesNotMatch(await response.text(), /hoplink_/);
      }
      const text = await scrape(serveMetrics);
      assert.match(text, /^# TYPE hoplink_redirects_total counter$/m);
      const elsewhere = await fetch(serveMetrics.replace(/\/metrics$/, '/healthz'), {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(elsewhere.status, 404);
      const publicPort = await fetch(`${serve.url}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(publicPort.status, 404);
    });

    test('one target for both web workers: their redirects add up, and promtool check metrics is clean', async () => {
      const link = await createLink(database.handle.db);
      const before = await scrape(serveMetrics);
      await redirects(`${serve.url}/${link.code}`, 40);
      const after = await scrape(serveMetrics);
      const redirected = (text: string) =>
        metricValue(text, 'hoplink_redirects_total', { outcome: 'hit' }) +
        metricValue(text, 'hoplink_redirects_total', { outcome: 'miss' });
      assert.equal(redirected(after) - redirected(before), 40);
      // Each worker has a cache of its own: the link is in both.
      assert.equal(metricValue(after, 'hoplink_redirect_cache_entries', { kind: 'link' }), 2);
      assert.equal(metricValue(after, 'hoplink_redirects_total', { outcome: 'miss' }), 2);
      const check = promtool(['check', 'metrics'], after);
      assert.equal(check.code, 0, check.output);
    });

    test('a web worker killed: the server’s counters carry on from where they were', async () => {
      const link = await createLink(database.handle.db);
      await redirects(`${serve.url}/${link.code}`, 20);
      const before = await scrape(serveMetrics);
      const [victim] = serve.workerPids();
      assert.ok(victim, serve.output());
      const offset = serve.stdout.length;
      process.kill(victim, 'SIGKILL');
      await serve.waitForOutput(/replaced worker/, { since: offset });
      const after = await scrape(serveMetrics);
      const counters = parseMetrics(before).filter(
        (sample) =>
          sample.name.startsWith('hoplink_') &&
          (sample.name.endsWith('_total') || sample.name.endsWith('_count')),
      );
      assert.ok(counters.length > 5);
      for (const sample of counters) {
        assert.ok(
          metricValue(after, sample.name, sample.labels) >= sample.value,
          `${sample.name} ${JSON.stringify(sample.labels)} went down`,
        );
      }
      await redirects(`${serve.url}/${link.code}`, 10);
      const more = await scrape(serveMetrics);
      assert.equal(
        metricValue(more, 'hoplink_clicks_captured_total') -
          metricValue(after, 'hoplink_clicks_captured_total'),
        10,
      );
    });

    test('the worker: queue depth read from Redis, then written clicks and their lag', async () => {
      const link = await createLink(database.handle.db);
      await redirects(`${serve.url}/${link.code}`, 30);
      // No worker takes the clicks queue yet: its batches wait in Redis.
      await until(
        async () =>
          metricValue(await scrape(otherJobsMetrics), 'hoplink_queue_jobs', {
            queue: 'clicks',
            state: 'waiting',
          }) > 0,
        'the clicks queue to show waiting jobs',
      );
      const check = promtool(['check', 'metrics'], await scrape(otherJobsMetrics));
      assert.equal(check.code, 0, check.output);

      const clicksWorker = await startWorker(env, ['clicks']);
      workers.push(clicksWorker);
      const clicksMetrics = workerMetricsUrl(clicksWorker);
      await until(
        async () => metricValue(await scrape(clicksMetrics), 'hoplink_clicks_written_total') >= 30,
        'the clicks to be written',
      );
      const text = await scrape(clicksMetrics);
      assert.ok(metricValue(text, 'hoplink_click_lag_seconds_count') >= 30);
      assert.ok(
        metricValue(text, 'hoplink_jobs_total', {
          queue: 'clicks',
          job: 'record-clicks',
          result: 'completed',
        }) >= 1,
      );
      await until(
        async () =>
          metricValue(await scrape(otherJobsMetrics), 'hoplink_queue_jobs', {
            queue: 'clicks',
            state: 'waiting',
          }) === 0,
        'the clicks queue to drain',
      );
    });

    test('METRICS_TOKEN alone: /metrics on the public port, any worker answering for all of them', async () => {
      const tokenOnly = Object.fromEntries(
        Object.entries(env).filter(([name]) => !name.endsWith('METRICS_LISTEN')),
      );
      const server = await startServe(tokenOnly);
      try {
        assert.doesNotMatch(server.stdout, METRICS_LINE);
        const url = `${server.url}/metrics`;
        const refused = await fetch(url);
        assert.equal(refused.status, 401);
        const link = await createLink(database.handle.db);
        await redirects(`${server.url}/${link.code}`, 20);
        // Whichever worker takes the scrape, the answer is the primary's sum of both.
        for (let scrapes = 0; scrapes < 4; scrapes += 1) {
          const response = await fetch(url, {
            headers: { authorization: `Bearer ${token}`, connection: 'close' },
          });
          assert.equal(response.status, 200);
          const text = await response.text();
          assert.equal(metricValue(text, 'hoplink_redirect_cache_entries', { kind: 'link' }), 2);
          assert.equal(
            metricValue(text, 'hoplink_redirects_total', { outcome: 'hit' }) +
              metricValue(text, 'hoplink_redirects_total', { outcome: 'miss' }),
            20,
          );
        }
      } finally {
        await server.stop();
      }
    });

    describe('scraped by a real Prometheus', PROMETHEUS, () => {
      let prometheus: PrometheusServer;
      const targets = (url: string) => `['${new URL(url).host}']`;

      before(async () => {
        prometheus = await PrometheusServer.start(
          (dir) => `
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${join(ROOT, 'deploy', 'prometheus', 'alerts.yml')}
scrape_configs:
  - job_name: hoplink-web
    bearer_token_file: ${join(dir, 'token')}
    static_configs:
      - targets: ${targets(serveMetrics)}
  - job_name: hoplink-worker
    bearer_token_file: ${join(dir, 'token')}
    static_configs:
      - targets: ${targets(otherJobsMetrics)}
`,
          { token },
        );
      });
      after(() => prometheus.stop());

      test('both targets up; hoplink_redirects_total rises after redirects', async () => {
        await until(
          async () =>
            (await prometheus.value('sum(up{job="hoplink-web"})')) === 1 &&
            (await prometheus.value('sum(up{job="hoplink-worker"})')) === 1,
          `both targets to be up\n${prometheus.log()}`,
        );
        const redirected = 'sum(hoplink_redirects_total{job="hoplink-web"})';
        let before: number | undefined;
        await until(async () => {
          before = await prometheus.value(redirected);
          return before !== undefined;
        }, 'a first sample of hoplink_redirects_total');
        const link = await createLink(database.handle.db);
        await redirects(`${serve.url}/${link.code}`, 25);
        await until(
          async () => ((await prometheus.value(redirected)) ?? 0) >= (before ?? 0) + 25,
          'Prometheus to see the redirects',
        );
      });

      test('the alert rules load, and every dashboard query runs', async () => {
        const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
          data: { groups: { rules: { name: string; health: string }[] }[] };
        };
        const loaded = rules.data.groups.flatMap((group) => group.rules);
        assert.ok(loaded.length >= 7);
        for (const rule of loaded) assert.equal(rule.health, 'ok', rule.name);

        const dashboard = JSON.parse(
          readFileSync(join(ROOT, 'deploy', 'grafana', 'hoplink-dashboard.json'), 'utf8'),
        ) as { panels: { title: string; targets?: { expr: string }[] }[] };
        // A page request, so the per-route series exist.
        assert.equal(await getStatus(`${serve.url}/healthz`), 200);
        const texts = await Promise.all(
          [serveMetrics, ...workers.map(workerMetricsUrl)].map((url) => scrape(url)),
        );
        const scraped = new Set(
          texts.flatMap((text) => parseMetrics(text).map((sample) => sample.name)),
        );
        for (const panel of dashboard.panels) {
          for (const { expr } of panel.targets ?? []) {
            const query = expr
              .replaceAll('$__rate_interval', '1m')
              .replaceAll('$web_job', 'hoplink-web')
              .replaceAll('$worker_job', 'hoplink-worker');
            await prometheus.query(query);
            for (const [name] of query.matchAll(/\b(?:hoplink|process|nodejs)_[a-z0-9_]+/g)) {
              assert.ok(scraped.has(name), `${panel.title}: ${name} is not exposed`);
            }
          }
        }
      });
    });
  },
);
