/**
 * `npm run bench:stats`: how long the stats of a link with a million clicks take, from the daily
 * rollups, against the raw-table queries they replaced, in the same run on the same database.
 *
 * Creates a throwaway PostgreSQL database, applies the initial migration only, seeds one link's
 * clicks with generate_series (one INSERT, no rollups yet), then applies the remaining
 * migrations: the rollup migration fills the tables from those clicks with its own SQL, so its
 * duration is what `hoplink migrate` costs such an install. Then times, after warm-up runs:
 * the old raw queries (ownership check plus the seven queries, in parallel, as the service ran
 * them), the stats service, GET /api/v1/links/{id}/stats and the page GET /links/{id} through the
 * app (inject), and the list page's all-time counts both ways. Also times click inserts (batches
 * through the repository) before and after the rollup trigger exists. Prints a table, writes
 * bench/results/stats-<timestamp>.json, drops the database. Measures; asserts nothing, but says
 * whether the service's numbers equal the raw answer.
 *
 * Flags: --clicks N (default 1000000), --days N (days the clicks span, default 35), --window N
 * (the stats window in days, default 30), --runs N (timed runs each, default 30), --batches N
 * (insert batches of 1000 timed before and after the trigger, default 20).
 * Env: BENCH_POSTGRES_URL (admin URL; default postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { and, desc, eq, gte, inArray, not, sql } from 'drizzle-orm';
import { createContainer } from '#src/container.ts';
import { openDatabase, type Database, type DatabaseHandle } from '#src/db/client.ts';
import { applyMigrations, loadMigrations } from '#src/db/migrator.ts';
import { clicks, links } from '#src/db/schema.ts';
import { buildServer } from '#src/http/build-server.ts';
import {
  createClicksRepository,
  type ClickValues,
} from '#src/modules/analytics/clicks.repository.ts';
import { formatFindings, hasErrors, loadSettings } from '#src/settings/index.ts';
import { createApiToken } from '#test/factories.ts';
import { loginAs } from '#test/helpers/login.ts';
import { createThrowawayDatabase, seedOwnerWithLinks } from './throwaway-database.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const DAY_MS = 86_400_000;
const WARMUP_RUNS = 3;
const INSERT_BATCH = 1_000;

const { values: flags } = parseArgs({
  options: {
    clicks: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '35' },
    window: { type: 'string', default: '30' },
    runs: { type: 'string', default: '30' },
    batches: { type: 'string', default: '20' },
  },
});
const clickCount = Number(flags.clicks);
const spanDays = Number(flags.days);
const windowDays = Number(flags.window);
const runs = Number(flags.runs);
const insertBatches = Number(flags.batches);

function log(line: string): void {
  process.stderr.write(`bench:stats: ${line}\n`);
}

interface Timing {
  readonly name: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

function summarize(name: string, samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(middle)] ?? Number.NaN)
      : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
  return {
    name,
    runs: sorted.length,
    medianMs: round(median),
    p95Ms: round(at(0.95) ?? Number.NaN),
    minMs: round(sorted[0] ?? Number.NaN),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** Runs `work` a few times untimed (caches, plans), then `runs` times timed, one at a time. */
async function time(name: string, work: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < WARMUP_RUNS; i += 1) await work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  const timing = summarize(name, samples);
  log(`${name}: median ${timing.medianMs} ms, p95 ${timing.p95Ms} ms`);
  return timing;
}

/** The stats queries as they ran before the rollups: straight from `clicks`. */
function rawStats(db: Database, linkId: string, since: Date) {
  const inWindow = and(eq(clicks.linkId, linkId), gte(clicks.clickedAt, since));
  const humans = and(inWindow, not(clicks.isBot));
  const count = sql<number>`count(*)`.mapWith(Number);
  const day = sql<string>`to_char(${clicks.clickedAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const top = (dimension: 'referrerHost' | 'browser' | 'os' | 'device') => {
    const column = clicks[dimension];
    return db
      .select({ value: column, clicks: count })
      .from(clicks)
      .where(humans)
      .groupBy(column)
      .orderBy(desc(count), sql`${column} asc nulls last`)
      .limit(10);
  };
  return Promise.all([
    db
      .select({
        clicks: sql<number>`count(*) filter (where not ${clicks.isBot})`.mapWith(Number),
        uniqueVisitors:
          sql<number>`count(distinct ${clicks.visitorHash}) filter (where not ${clicks.isBot})`.mapWith(
            Number,
          ),
        bots: sql<number>`count(*) filter (where ${clicks.isBot})`.mapWith(Number),
      })
      .from(clicks)
      .where(inWindow),
    db.select({ date: day, clicks: count }).from(clicks).where(humans).groupBy(day).orderBy(day),
    top('referrerHost'),
    top('browser'),
    top('os'),
    top('device'),
    db
      .select({ clickedAt: clicks.clickedAt })
      .from(clicks)
      .where(inWindow)
      .orderBy(desc(clicks.clickedAt), desc(clicks.eventId))
      .limit(20),
  ]);
}

/** The list page's all-time human clicks of some links, as counted before the rollups. */
function rawClickCounts(db: Database, ownerId: string, linkIds: string[]) {
  return db
    .select({ linkId: clicks.linkId, clicks: sql<number>`count(*)`.mapWith(Number) })
    .from(clicks)
    .innerJoin(links, eq(links.id, clicks.linkId))
    .where(and(eq(links.ownerId, ownerId), inArray(clicks.linkId, linkIds), not(clicks.isBot)))
    .groupBy(clicks.linkId);
}

/**
 * One INSERT … SELECT generate_series: clicks spread evenly from `startMs` to now, 8% bots, 30%
 * without a referrer and a long tail of ~2000 referrer hosts, ~20 000 visitors a day each coming
 * back a few times (hashes differ per day, as the real daily salt makes them).
 */
const SEED_SQL = `
INSERT INTO clicks (event_id, link_id, clicked_at, referrer, referrer_host, browser, os, device, is_bot, ip, visitor_hash)
SELECT gen_random_uuid(), $1::uuid, at,
  CASE WHEN host IS NULL THEN NULL ELSE 'https://' || host || '/post' END, host,
  (ARRAY['Chrome', 'Mobile Safari', 'Firefox', 'Edge', 'Samsung Internet', 'Safari', NULL])[1 + floor(random() * 7)::int],
  (ARRAY['Windows', 'iOS', 'Android', 'macOS', 'Linux', NULL])[1 + floor(random() * 6)::int],
  (ARRAY['desktop', 'mobile', 'tablet', NULL])[1 + floor(random() * 4)::int],
  random() < 0.08, NULL,
  md5(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '/' || floor(random() * 20000)::int)
FROM (
  SELECT
    to_timestamp(($2::float8 + i * $3::float8) / 1000) AS at,
    CASE WHEN random() < 0.3 THEN NULL
      ELSE 'site' || floor(power(random(), 3) * 2000)::int || '.example' END AS host
  FROM generate_series(0, $4::int - 1) AS i
) AS generated`;

/** Realistic parsed clicks for the insert timing: a few visitors, today, one link. */
function insertBatch(linkId: string): ClickValues[] {
  const now = Date.now();
  return Array.from({ length: INSERT_BATCH }, (_, i) => ({
    eventId: randomUUID(),
    linkId,
    clickedAt: new Date(now - (i % 600) * 1_000),
    referrer: i % 3 === 0 ? null : `https://site${i % 40}.example/post`,
    referrerHost: i % 3 === 0 ? null : `site${i % 40}.example`,
    browser: ['Chrome', 'Firefox', 'Mobile Safari'][i % 3] ?? null,
    os: ['Windows', 'Android', 'iOS', 'macOS'][i % 4] ?? null,
    device: ['desktop', 'mobile'][i % 2] ?? null,
    isBot: i % 12 === 0,
    ip: null,
    visitorHash: randomBytes(8)
      .toString('hex')
      .slice(0, 4 + (i % 3)),
  }));
}

async function timeInserts(name: string, handle: DatabaseHandle, linkId: string) {
  const repository = createClicksRepository(handle.db);
  for (let i = 0; i < WARMUP_RUNS; i += 1) await repository.insertMany(insertBatch(linkId));
  const samples: number[] = [];
  for (let i = 0; i < insertBatches; i += 1) {
    const batch = insertBatch(linkId);
    const started = performance.now();
    await repository.insertMany(batch);
    samples.push(performance.now() - started);
  }
  const timing = summarize(name, samples);
  log(`${name}: median ${timing.medianMs} ms per ${INSERT_BATCH} clicks`);
  return timing;
}

async function main(): Promise<void> {
  const load1 = loadavg()[0] ?? Number.NaN;
  const database = await createThrowawayDatabase('hoplink_bench_stats');
  const { name, url } = database;
  log(`created database ${name}`);
  let handle: DatabaseHandle | undefined;
  try {
    handle = await openDatabase({ kind: 'postgres', url, poolMax: 10 });
    const migrations = loadMigrations();
    await applyMigrations(
      handle,
      undefined,
      migrations.filter((migration) => migration.name === '0000_initial'),
    );
    const { db } = handle;
    const {
      owner,
      linkIds: [linkId, insertsId],
    } = await seedOwnerWithLinks(db, 2);
    if (!linkId || !insertsId) throw new Error('seeding made no links');
    const link = { id: linkId };
    const inserts = { id: insertsId };

    const insertsBefore = await timeInserts('insert, no rollups', handle, inserts.id);

    const now = Date.now();
    const todayMs = now - (now % DAY_MS);
    const startMs = todayMs - (spanDays - 1) * DAY_MS;
    let started = performance.now();
    await handle.withConnection(async (connection) => {
      await connection.query('select setseed(0.42)');
      await connection.query(SEED_SQL, [
        link.id,
        startMs,
        (now - startMs) / clickCount,
        clickCount,
      ]);
    });
    const seedMs = performance.now() - started;
    log(`seeded ${clickCount} clicks over ${spanDays} days in ${(seedMs / 1000).toFixed(1)} s`);

    started = performance.now();
    const applied = await applyMigrations(handle, {
      applied: (migration, ms) => {
        log(`applied ${migration} in ${ms} ms`);
      },
    });
    const migrateMs = performance.now() - started;
    await handle.withConnection((connection) =>
      connection.exec(
        'vacuum analyze clicks, click_daily, click_daily_values, click_daily_visitors',
      ),
    );
    const sizes = await handle.withConnection((connection) =>
      connection.query<{ table: string; rows: string }>(
        `select 'click_daily' as table, count(*)::text as rows from click_daily
         union all select 'click_daily_values', count(*)::text from click_daily_values
         union all select 'click_daily_visitors', count(*)::text from click_daily_visitors`,
      ),
    );
    const [{ version } = { version: 'unknown' }] = await handle.withConnection((connection) =>
      connection.query<{ version: string }>('select version() as version'),
    );

    const insertsAfter = await timeInserts('insert, with rollup trigger', handle, inserts.id);

    const loaded = loadSettings({
      env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', API_RATE_LIMIT: '1000000' },
      envFile: '/nonexistent/.env',
      persistDevSecret: false,
    });
    if (hasErrors(loaded.findings)) throw new Error(formatFindings(loaded.findings));
    const container = await createContainer(loaded.settings, { database: handle });
    const app = buildServer(container);
    await app.ready();
    try {
      const since = new Date(todayMs - (windowDays - 1) * DAY_MS);
      const served = await container.stats.stats(owner.id, link.id, windowDays);
      const [[totals], daily, referrers, browsers, os, devices] = await rawStats(
        db,
        link.id,
        since,
      );
      const agrees =
        JSON.stringify({
          ...totals,
          daily,
          referrers,
          browsers,
          os,
          devices,
        }) ===
        JSON.stringify({
          clicks: served.clicks,
          uniqueVisitors: served.uniqueVisitors,
          bots: served.bots,
          daily: served.daily.filter((entry) => entry.clicks > 0),
          referrers: served.referrers,
          browsers: served.browsers,
          os: served.os,
          devices: served.devices,
        });
      log(
        `window of ${windowDays} days: ${served.clicks} human clicks, ${served.uniqueVisitors} visitors, ${served.bots} bots; equal to the raw answer: ${agrees ? 'yes' : 'NO'}`,
      );

      const { authorization } = await createApiToken(container.apiTokens, owner.id, ['links:read']);
      const cookie = await loginAs(app, owner);
      const get = async (path: string, headers: Record<string, string>) => {
        const response = await app.inject({ method: 'GET', url: path, headers });
        if (response.statusCode !== 200) throw new Error(`${path}: ${response.statusCode}`);
      };

      const baseline = await time('raw queries (before)', async () => {
        await container.links.get(owner.id, link.id);
        await rawStats(db, link.id, since);
      });
      const service = await time('stats service (rollups)', () =>
        container.stats.stats(owner.id, link.id, windowDays),
      );
      const api = await time(`GET /api/v1/links/{id}/stats?days=${windowDays}`, () =>
        get(`/api/v1/links/${link.id}/stats?days=${windowDays}`, { authorization }),
      );
      const page = await time('GET /links/{id} (page)', () => get(`/links/${link.id}`, { cookie }));
      const countsBefore = await time('list counts, raw (before)', () =>
        rawClickCounts(db, owner.id, [link.id, inserts.id]),
      );
      const countsAfter = await time('list counts (rollups)', () =>
        container.stats.clickCounts(owner.id, [link.id, inserts.id]),
      );

      const ratio = (before: Timing, after: Timing) => round(before.medianMs / after.medianMs);
      const timings = [baseline, service, api, page, countsBefore, countsAfter];
      const width = Math.max(...timings.map((timing) => timing.name.length));
      const lines = [
        `${''.padEnd(width)}  median ms     p95 ms     min ms`,
        ...timings.map(
          (timing) =>
            `${timing.name.padEnd(width)}  ${String(timing.medianMs).padStart(9)}  ${String(timing.p95Ms).padStart(9)}  ${String(timing.minMs).padStart(9)}`,
        ),
        '',
        `stats: the raw queries take ${ratio(baseline, service)}x the rollups' time (median)`,
        `list counts: ${ratio(countsBefore, countsAfter)}x`,
        `insert of ${INSERT_BATCH} clicks: median ${insertsBefore.medianMs} ms without rollups, ${insertsAfter.medianMs} ms with the trigger`,
        `seed ${(seedMs / 1000).toFixed(1)} s; migrations ${applied.join(', ')} (rollup fill) ${(migrateMs / 1000).toFixed(1)} s`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);

      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = join(RESULTS, `stats-${stamp}.json`);
      const json = {
        when: new Date().toISOString(),
        options: { clicks: clickCount, spanDays, windowDays, runs, warmupRuns: WARMUP_RUNS },
        machine: {
          cpus: availableParallelism(),
          model: cpus()[0]?.model ?? 'unknown',
          node: process.version,
          postgres: version,
          loadAverage1mAtStart: load1,
        },
        seed: {
          clicksMs: Math.round(seedMs),
          rollupMigrationsMs: Math.round(migrateMs),
          migrations: applied,
          rollupRows: Object.fromEntries(sizes.map((row) => [row.table, Number(row.rows)])),
        },
        window: {
          clicks: served.clicks,
          uniqueVisitors: served.uniqueVisitors,
          bots: served.bots,
          equalToRawAnswer: agrees,
        },
        timings,
        ratios: {
          statsRawOverRollups: ratio(baseline, service),
          clickCountsRawOverRollups: ratio(countsBefore, countsAfter),
        },
        inserts: {
          batchSize: INSERT_BATCH,
          withoutRollups: insertsBefore,
          withTrigger: insertsAfter,
        },
      };
      writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
      log(`wrote ${file.slice(ROOT.length)}`);
    } finally {
      await app.close();
      await container.close();
    }
  } finally {
    await handle?.close();
    await database.drop();
    log(`dropped database ${name}`);
  }
}

await main();
