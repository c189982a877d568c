/**
 * `npm run bench:retention`: click retention on a table of a million clicks or more, with click
 * inserts and redirect lookups running alongside, and the stats compared before and after.
 *
 * Creates a throwaway PostgreSQL database, applies the initial migration, seeds clicks spread
 * evenly over `--days` days across `--links` links (a few hot, a long tail) with generate_series,
 * then applies the remaining migrations (the rollup migration fills the daily tables from those
 * clicks). Records the stats of every seeded link (the stats service over 365 and 30 days, less
 * `recent`) and a digest of the rollup tables, then:
 *   1. baseline: for `--baseline` seconds, click batches inserted through the clicks repository
 *      (as the worker writes them, into a link of their own so the seeded stats stay put) and
 *      the redirect's uncached link lookup (links service `resolve`), each in a loop;
 *   2. retention: `hoplink retention`'s service with CLICK_RETENTION_DAYS=`--retention`, the same
 *      two loops alongside, and pg_stat_activity sampled every 10 ms for backends waiting on a
 *      lock (how long the longest had been in its statement);
 *   3. the stats again: equal to the first except the recent clicks, which must all be kept ones.
 * Prints a table, writes bench/results/retention-<timestamp>.json, drops the database. Measures;
 * asserts nothing, but says whether the stats are unchanged and no old click is left.
 *
 * Flags: --clicks N (default 1000000), --days N (default 60), --retention N (default 30),
 * --links N (default 200), --batch N (clicks per concurrent insert, default 500), --baseline S
 * (seconds, default 10). Env: BENCH_POSTGRES_URL (admin URL; default
 * postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createContainer, type Container } from '#src/container.ts';
import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { applyMigrations, loadMigrations } from '#src/db/migrator.ts';
import {
  createClicksRepository,
  type ClickValues,
} from '#src/modules/analytics/clicks.repository.ts';
import type { RetentionProgress } from '#src/modules/analytics/index.ts';
import { formatFindings, hasErrors, loadSettings } from '#src/settings/index.ts';
import { createThrowawayDatabase } from './throwaway-database.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const DAY_MS = 86_400_000;
const SAMPLE_EVERY_MS = 10;

const { values: flags } = parseArgs({
  options: {
    clicks: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '60' },
    retention: { type: 'string', default: '30' },
    links: { type: 'string', default: '200' },
    batch: { type: 'string', default: '500' },
    baseline: { type: 'string', default: '10' },
  },
});
const clickCount = Number(flags.clicks);
const spanDays = Number(flags.days);
const retentionDays = Number(flags.retention);
const linkCount = Number(flags.links);
const insertBatch = Number(flags.batch);
const baselineSeconds = Number(flags.baseline);

function log(line: string): void {
  process.stderr.write(`bench:retention: ${line}\n`);
}

const round = (ms: number) => Math.round(ms * 10) / 10;

interface Latency {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function latency(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    count: sorted.length,
    p50Ms: round(at(0.5) ?? Number.NaN),
    p99Ms: round(at(0.99) ?? Number.NaN),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

/**
 * Clicks spread evenly from `startMs` to now over the links of `$1` (ordered ids): the first few
 * get most of them (power law), 8% bots, ~2000 visitors a day per link (hashes differ per day).
 * In time order, as traffic writes them.
 */
const SEED_SQL = `
INSERT INTO clicks (event_id, link_id, clicked_at, referrer, referrer_host, browser, os, device, is_bot, ip, visitor_hash)
SELECT gen_random_uuid(), ids[1 + floor(power(random(), 3) * cardinality(ids))::int], at,
  CASE WHEN host IS NULL THEN NULL ELSE 'https://' || host || '/post' END, host,
  (ARRAY['Chrome', 'Mobile Safari', 'Firefox', 'Edge', 'Samsung Internet', 'Safari', NULL])[1 + floor(random() * 7)::int],
  (ARRAY['Windows', 'iOS', 'Android', 'macOS', 'Linux', NULL])[1 + floor(random() * 6)::int],
  (ARRAY['desktop', 'mobile', 'tablet', NULL])[1 + floor(random() * 4)::int],
  random() < 0.08, '203.0.113.0',
  md5(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '/' || floor(random() * 2000)::int)
FROM (SELECT $1::uuid[] AS ids) AS links,
  (
    SELECT
      to_timestamp(($2::float8 + i * $3::float8) / 1000) AS at,
      CASE WHEN random() < 0.3 THEN NULL
        ELSE 'site' || floor(power(random(), 3) * 500)::int || '.example' END AS host
    FROM generate_series(0, $4::int - 1) AS i
  ) AS generated`;

/** Every rollup row but the live link's, hashed in key order: equal digests, equal rollups. */
const ROLLUP_DIGEST_SQL = `
select
  (select md5(coalesce(string_agg(concat_ws('|', link_id, day, clicks, bots, visitors), ',' order by link_id, day), ''))
     from click_daily where link_id <> $1) as daily,
  (select md5(coalesce(string_agg(concat_ws('|', link_id, dimension, day, value, clicks), ',' order by link_id, dimension, day, value), ''))
     from click_daily_values where link_id <> $1) as "values"`;

/** Fresh clicks of the live link, as a worker batch holds them. */
function liveBatch(linkId: string): ClickValues[] {
  const now = Date.now();
  return Array.from({ length: insertBatch }, (_, i) => ({
    eventId: randomUUID(),
    linkId,
    clickedAt: new Date(now - (i % 60) * 1_000),
    referrer: i % 3 === 0 ? null : `https://site${i % 40}.example/post`,
    referrerHost: i % 3 === 0 ? null : `site${i % 40}.example`,
    browser: ['Chrome', 'Firefox', 'Mobile Safari'][i % 3] ?? null,
    os: ['Windows', 'Android', 'iOS', 'macOS'][i % 4] ?? null,
    device: ['desktop', 'mobile'][i % 2] ?? null,
    isBot: i % 12 === 0,
    ip: '203.0.113.0',
    visitorHash: randomBytes(6).toString('hex'),
  }));
}

interface Load {
  readonly inserts: Latency;
  readonly lookups: Latency;
  readonly clicksInserted: number;
}

/**
 * The concurrent work: one loop inserting click batches, one resolving codes, until `until`
 * settles; returns each operation's latencies.
 */
async function underLoad(
  handle: DatabaseHandle,
  container: Container,
  liveLinkId: string,
  codes: readonly string[],
  until: Promise<unknown>,
): Promise<Load> {
  const repository = createClicksRepository(handle.db);
  const state = { done: false };
  const finished = until.finally(() => {
    state.done = true;
  });
  const insertMs: number[] = [];
  const lookupMs: number[] = [];
  let clicksInserted = 0;
  const inserting = (async () => {
    while (!state.done) {
      const batch = liveBatch(liveLinkId);
      const started = performance.now();
      clicksInserted += await repository.insertMany(batch);
      insertMs.push(performance.now() - started);
    }
  })();
  const looking = (async () => {
    for (let i = 0; !state.done; i += 1) {
      const started = performance.now();
      const target = await container.links.resolve(codes[i % codes.length] ?? '');
      lookupMs.push(performance.now() - started);
      if (target === null) throw new Error('a seeded link did not resolve');
      // About a thousand lookups a second: the cache misses of a busy site, not a flood.
      await sleep(1);
    }
  })();
  await finished;
  await Promise.all([inserting, looking]);
  return { inserts: latency(insertMs), lookups: latency(lookupMs), clicksInserted };
}

/** Samples backends of `database` waiting on a heavyweight lock until stopped. */
function lockSampler(url: string, database: string) {
  const client = new pg.Client({ connectionString: url });
  const state = { stop: false };
  let samples = 0;
  let samplesWithWaiters = 0;
  let longestMs = 0;
  const running = (async () => {
    await client.connect();
    while (!state.stop) {
      const { rows } = await client.query<{ waiting: number; longest_ms: number | null }>(
        `select count(*)::int as waiting,
                max(extract(epoch from clock_timestamp() - query_start) * 1000)::float8 as longest_ms
         from pg_stat_activity
         where datname = $1 and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        [database],
      );
      samples += 1;
      const [row] = rows;
      if (row && row.waiting > 0) {
        samplesWithWaiters += 1;
        longestMs = Math.max(longestMs, row.longest_ms ?? 0);
      }
      await sleep(SAMPLE_EVERY_MS);
    }
    await client.end();
  })();
  return async () => {
    state.stop = true;
    await running;
    return { samples, samplesWithWaiters, longestWaitMs: round(longestMs) };
  };
}

async function main(): Promise<void> {
  const load1 = loadavg()[0] ?? Number.NaN;
  const database = await createThrowawayDatabase('hoplink_bench_retention');
  const { name, url } = database;
  log(`created database ${name}`);
  let handle: DatabaseHandle | undefined;
  let container: Container | undefined;
  try {
    handle = await openDatabase({ kind: 'postgres', url, poolMax: 10 });
    const migrations = loadMigrations();
    await applyMigrations(
      handle,
      undefined,
      migrations.filter((migration) => migration.name === '0000_initial'),
    );
    // Raw SQL, not the test factory: the schema of the code may be ahead of 0000_initial.
    const { owner, seeded } = await handle.withConnection(async (connection) => {
      const [user] = await connection.query<{ id: string }>(
        `insert into users (email, username, password_hash)
         values ('bench@example.com', 'bench', 'not a hash') returning id`,
      );
      if (!user) throw new Error('no user was created');
      const rows = await connection.query<{ id: string; code: string }>(
        `insert into links (owner_id, code, target_url)
         select $1, 'bench' || i, 'https://example.com/' || i from generate_series(1, $2::int) as i
         returning id, code`,
        [user.id, linkCount + 1],
      );
      return { owner: user, seeded: rows };
    });
    const [live, ...links] = seeded;
    if (!live) throw new Error('no links were seeded');

    const now = Date.now();
    const todayMs = now - (now % DAY_MS);
    const startMs = todayMs - (spanDays - 1) * DAY_MS;
    let started = performance.now();
    await handle.withConnection(async (connection) => {
      await connection.query('select setseed(0.24)');
      await connection.query(SEED_SQL, [
        links.map((link) => link.id),
        startMs,
        (now - startMs) / clickCount,
        clickCount,
      ]);
    });
    const seedMs = performance.now() - started;
    log(`seeded ${clickCount} clicks over ${spanDays} days in ${(seedMs / 1000).toFixed(1)} s`);
    started = performance.now();
    await applyMigrations(handle, {
      applied: (migration, ms) => {
        log(`applied ${migration} in ${ms} ms`);
      },
    });
    const migrateMs = performance.now() - started;
    await handle.withConnection((connection) => connection.exec('vacuum analyze'));

    const loaded = loadSettings({
      env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', CLICK_RETENTION_DAYS: String(retentionDays) },
      envFile: '/nonexistent/.env',
      persistDevSecret: false,
    });
    if (hasErrors(loaded.findings)) throw new Error(formatFindings(loaded.findings));
    container = await createContainer(loaded.settings, { database: handle });
    const stats = container.stats;
    const cutoff = container.clickRetention.cutoffs().clicks;
    if (cutoff === null) throw new Error('--retention must be at least 1');

    const database = handle;
    const facts = () =>
      database.withConnection(async (connection) => {
        const [row] = await connection.query<{
          clicks: string;
          old: string;
          hashes: string;
          blocks: string;
          size: string;
        }>(
          `select (select count(*) from clicks) as clicks,
                  (select count(*) from clicks where clicked_at < $1) as old,
                  (select count(*) from click_daily_visitors) as hashes,
                  pg_relation_size('clicks') / current_setting('block_size')::int as blocks,
                  pg_size_pretty(pg_total_relation_size('clicks')) as size`,
          [cutoff.toISOString()],
        );
        const [digest] = await connection.query<{ daily: string; values: string }>(
          ROLLUP_DIGEST_SQL,
          [live.id],
        );
        return { ...row, digest };
      });
    /** Every seeded link's stats, but the recent clicks: what retention must leave as it was. */
    const snapshot = async () => {
      const all = [];
      for (const link of links) {
        for (const days of [365, 30]) {
          const { recent, ...counts } = await stats.stats(owner.id, link.id, days);
          all.push({ link: link.id, days, counts, recent });
        }
      }
      const listCounts = [
        ...(await stats.clickCounts(
          owner.id,
          links.map((link) => link.id),
        )),
      ];
      return { all, listCounts };
    };

    const before = await facts();
    log(
      `clicks: ${before.clicks} (${before.size}, ${before.blocks} blocks), ${before.old} before ${cutoff.toISOString().slice(0, 10)}; visitor hashes: ${before.hashes}`,
    );
    const statsBefore = await snapshot();
    const codes = links.map((link) => link.code);

    log(`baseline: inserts and lookups for ${baselineSeconds} s without retention`);
    const stopBaselineSampling = lockSampler(url, name);
    const baseline = await underLoad(
      handle,
      container,
      live.id,
      codes,
      sleep(baselineSeconds * 1000),
    );
    const baselineLocks = await stopBaselineSampling();

    log('retention, with inserts and lookups alongside');
    const stopSampling = lockSampler(url, name);
    let lastProgressAt = performance.now();
    let longestGapMs = 0;
    let reportedAt = 0;
    const onProgress = (progress: RetentionProgress) => {
      const at = performance.now();
      longestGapMs = Math.max(longestGapMs, at - lastProgressAt);
      lastProgressAt = at;
      if (at - reportedAt > 2_000 || progress.blocksDone >= progress.blocksTotal) {
        reportedAt = at;
        const percent = Math.floor((100 * progress.blocksDone) / Math.max(progress.blocksTotal, 1));
        log(`  ${progress.table}: ${percent}% walked, ${progress.rows} deleted`);
      }
    };
    const retention = container.clickRetention.run({ onProgress });
    const during = await underLoad(handle, container, live.id, codes, retention);
    const report = await retention;
    const locks = await stopSampling();

    const after = await facts();
    const statsAfter = await snapshot();
    const countsOf = (snapshot: typeof statsBefore) =>
      JSON.stringify([
        snapshot.all.map((entry) => [entry.link, entry.days, entry.counts]),
        snapshot.listCounts,
      ]);
    const countsEqual = countsOf(statsBefore) === countsOf(statsAfter);
    const rollupsEqual = JSON.stringify(before.digest) === JSON.stringify(after.digest);
    const recentKeptOnly = statsAfter.all.every((entry) =>
      entry.recent.every((click) => click.clickedAt >= cutoff),
    );
    const [{ version } = { version: 'unknown' }] = await handle.withConnection((connection) =>
      connection.query<{ version: string }>('select version() as version'),
    );

    const deleted = report.clicks.rows;
    const seconds = report.durationMs / 1000;
    const clickSeconds = report.clicks.durationMs / 1000;
    const hashSeconds = report.visitorHashes.durationMs / 1000;
    const row = (label: string, value: string) => `${label.padEnd(44)}${value}`;
    const lines = [
      row(
        'clicks seeded',
        `${before.clicks} over ${spanDays} days, ${linkCount} links (${before.size})`,
      ),
      row(
        `clicks deleted (before ${cutoff.toISOString().slice(0, 10)})`,
        `${deleted} of ${before.old} old`,
      ),
      row('visitor hashes deleted', `${report.visitorHashes.rows} of ${before.hashes}`),
      row(
        'delete statements',
        `${report.clicks.statements} + ${report.visitorHashes.statements} (visitor hashes)`,
      ),
      row(
        'duration',
        `${seconds.toFixed(1)} s: visitor hashes ${hashSeconds.toFixed(1)} s, clicks ${clickSeconds.toFixed(1)} s (${Math.round(deleted / clickSeconds)} clicks/s)`,
      ),
      row('longest gap between two statements', `${round(longestGapMs)} ms (pause included)`),
      row(
        'insert of a batch, baseline p50/p99/max',
        `${baseline.inserts.p50Ms} / ${baseline.inserts.p99Ms} / ${baseline.inserts.maxMs} ms (${baseline.inserts.count} batches of ${insertBatch})`,
      ),
      row(
        'insert of a batch, during p50/p99/max',
        `${during.inserts.p50Ms} / ${during.inserts.p99Ms} / ${during.inserts.maxMs} ms (${during.inserts.count} batches)`,
      ),
      row(
        'link lookup, baseline p50/p99/max',
        `${baseline.lookups.p50Ms} / ${baseline.lookups.p99Ms} / ${baseline.lookups.maxMs} ms (${baseline.lookups.count})`,
      ),
      row(
        'link lookup, during p50/p99/max',
        `${during.lookups.p50Ms} / ${during.lookups.p99Ms} / ${during.lookups.maxMs} ms (${during.lookups.count})`,
      ),
      row(
        'lock waits sampled, baseline',
        `${baselineLocks.samplesWithWaiters} of ${baselineLocks.samples} samples; longest ${baselineLocks.longestWaitMs} ms`,
      ),
      row(
        'lock waits sampled, during',
        `${locks.samplesWithWaiters} of ${locks.samples} samples; longest ${locks.longestWaitMs} ms`,
      ),
      row('old clicks left', `${after.old}`),
      row('stats equal but recent clicks', countsEqual ? 'yes' : 'NO'),
      row('rollup tables unchanged', rollupsEqual ? 'yes' : 'NO'),
      row('recent clicks all within retention', recentKeptOnly ? 'yes' : 'NO'),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);

    mkdirSync(RESULTS, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(RESULTS, `retention-${stamp}.json`);
    const json = {
      when: new Date().toISOString(),
      options: {
        clicks: clickCount,
        spanDays,
        retentionDays,
        links: linkCount,
        insertBatch,
        baselineSeconds,
      },
      machine: {
        cpus: availableParallelism(),
        model: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        postgres: version,
        loadAverage1mAtStart: load1,
        loadAverage1mAtEnd: loadavg()[0] ?? Number.NaN,
      },
      seed: { clicksMs: Math.round(seedMs), migrationsMs: Math.round(migrateMs) },
      before: {
        clicks: Number(before.clicks),
        old: Number(before.old),
        visitorHashes: Number(before.hashes),
        blocks: Number(before.blocks),
        size: before.size,
      },
      after: {
        clicks: Number(after.clicks),
        old: Number(after.old),
        visitorHashes: Number(after.hashes),
      },
      retention: {
        cutoff: cutoff.toISOString(),
        report,
        clicksPerSecond: Math.round(deleted / clickSeconds),
        longestGapBetweenStatementsMs: round(longestGapMs),
      },
      concurrent: { baseline, during, baselineLocks, locks },
      checks: { countsEqual, rollupsEqual, recentKeptOnly, oldClicksLeft: Number(after.old) },
    };
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    log(`wrote ${file.slice(ROOT.length)}`);
  } finally {
    await container?.close();
    await handle?.close();
    await database.drop();
    log(`dropped database ${name}`);
  }
}

await main();
