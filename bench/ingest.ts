/**
 * `npm run bench:ingest`: what one click batch costs PostgreSQL before and after a migration,
 * in the same run on the same database, through the repository's own statement.
 *
 * Creates two throwaway PostgreSQL databases: one migrated up to `--before` (default: all but the
 * newest migration), one fully. Seeds each with one user and `--links` links (default 1: every
 * click on one hot link, the redirect bench's case, where batches take turns on the link's lock
 * and rollup rows). After warm-up batches, times `--batches` inserts of `--size` clicks in each,
 * alternating between the two so that the rest of the machine's load falls on both alike. Clicks
 * carry spreads of referrers, browsers, devices, bots and visitors, so the rollup trigger does its
 * usual work. Reports wall time per batch and the CPU time of each database's backend per click
 * (from /proc: steadier than wall time on a busy machine), their ratios, writes
 * bench/results/ingest-<timestamp>.json and drops the databases. Measures; asserts nothing.
 *
 * Flags: --before NAME (last migration of the first phase), --size N (default 500),
 * --batches N (default 100), --links N (default 1), --visitors N (distinct visitors, default 300). Env: BENCH_POSTGRES_URL (admin URL; default
 * postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase, rawRows, type DatabaseHandle } from '#src/db/client.ts';
import { applyMigrations, loadMigrations, type Migration } from '#src/db/migrator.ts';
import { createClickEventIds } from '#src/modules/analytics/click-event-ids.ts';
import {
  createClicksRepository,
  type ClickValues,
} from '#src/modules/analytics/clicks.repository.ts';
import {
  createThrowawayDatabase,
  seedOwnerWithLinks,
  type ThrowawayDatabase,
} from './throwaway-database.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const WARMUP_BATCHES = 10;
// USER_HZ: Linux reports process times in ticks of 1/100 s on every mainstream architecture.
const CLOCK_TICKS = 100;

const migrations = loadMigrations();
const { values: flags } = parseArgs({
  options: {
    before: { type: 'string', default: migrations.at(-2)?.name ?? '' },
    size: { type: 'string', default: '500' },
    batches: { type: 'string', default: '100' },
    links: { type: 'string', default: '1' },
    visitors: { type: 'string', default: '300' },
  },
});
const size = Number(flags.size);
const batches = Number(flags.batches);
const linkCount = Number(flags.links);
const cut = migrations.findIndex((migration) => migration.name === flags.before);
if (cut < 0 || cut === migrations.length - 1) {
  throw new Error(`--before must name a migration other than the newest: ${flags.before}`);
}
const firstPhase = migrations.slice(0, cut + 1);
const lastName = (list: readonly Migration[]) => list.at(-1)?.name ?? '';

const REFERRERS = [null, 'news.example', 'search.example', 'social.example', 'mail.example'];
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Mobile Safari', 'Edge', 'Mobile Chrome'];
const OSES = ['Windows', 'macOS', 'iOS', 'Android', 'Linux'];
const DEVICES = [null, 'mobile', 'tablet'];

/** Event ids as a redirect process makes them: one random prefix, then a counter. */
const nextEventId = createClickEventIds();

/** Daily-salted visitor hashes: a few hundred visitors, so most clicks are repeat visits. */
const visitorHashes = Array.from({ length: Number(flags.visitors) }, () =>
  randomBytes(16).toString('base64url'),
);

/** The value at `index`, wrapping around; the arrays here are never empty. */
function pick<T>(values: readonly T[], index: number): T {
  return values[index % values.length] as T;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One batch of clicks spread over the links, as the worker would store them. */
function batchOf(linkIds: readonly string[], batch: number): ClickValues[] {
  const now = Date.now();
  return Array.from({ length: size }, (_, index) => {
    const n = batch * size + index;
    const referrerHost = pick(REFERRERS, n * 7);
    return {
      eventId: nextEventId(),
      linkId: pick(linkIds, n),
      clickedAt: new Date(now - (n % 3) * 1_000),
      referrer: referrerHost === null ? null : `https://${referrerHost}/page/${n % 50}`,
      referrerHost,
      browser: pick(BROWSERS, n * 3),
      os: pick(OSES, n * 5),
      device: pick(DEVICES, n * 11),
      isBot: n % 17 === 0,
      ip: null,
      visitorHash: pick(visitorHashes, n),
    };
  });
}

/** CPU time (user + system) a process has used, in ms, from /proc: steadier than wall time. */
function cpuMs(pid: number): number {
  // Fields after the command name, which is in parentheses: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** A database migrated to one phase, with its links and the one backend that writes to it. */
interface Subject {
  readonly label: string;
  readonly database: ThrowawayDatabase;
  readonly handle: DatabaseHandle;
  readonly linkIds: readonly string[];
  readonly insert: (rows: readonly ClickValues[]) => Promise<number>;
  readonly backendPid: number;
  readonly wallMs: number[];
  cpuMs: number;
}

async function createSubject(label: string, upTo: Migration[]) {
  const database = await createThrowawayDatabase('hoplink_bench_ingest');
  // One pooled connection: one backend does all of this database's work, so its CPU time is
  // the batches' own.
  const handle = await openDatabase({ kind: 'postgres', url: database.url, poolMax: 1 });
  await applyMigrations(handle, undefined, upTo);
  const { linkIds } = await seedOwnerWithLinks(handle.db, linkCount);
  const [backend] = await rawRows<{ pid: number }>(handle.db, sql`select pg_backend_pid() as pid`);
  const repository = createClicksRepository(handle.db);
  const subject: Subject = {
    label,
    database,
    handle,
    linkIds,
    insert: (rows) => repository.insertMany(rows),
    backendPid: backend?.pid ?? 0,
    wallMs: [],
    cpuMs: 0,
  };
  return subject;
}

async function timeBatch(subject: Subject, rows: readonly ClickValues[]) {
  const cpuBefore = cpuMs(subject.backendPid);
  const started = process.hrtime.bigint();
  await subject.insert(rows);
  subject.wallMs.push(Number(process.hrtime.bigint() - started) / 1e6);
  subject.cpuMs += cpuMs(subject.backendPid) - cpuBefore;
}

function summary(subject: Subject) {
  const times = [...subject.wallMs].sort((a, b) => a - b);
  const clicks = size * times.length;
  const p50 = pick(times, Math.floor(times.length / 2));
  return {
    through: subject.label,
    msPerBatchP50: p50,
    msPerBatchP95: pick(times, Math.floor(times.length * 0.95)),
    clicksPerSecondAtP50: (size * 1000) / p50,
    backendCpuMicrosPerClick: (subject.cpuMs * 1000) / clicks,
  };
}

async function main() {
  const subjects: Subject[] = [];
  try {
    subjects.push(await createSubject(lastName(firstPhase), firstPhase));
    subjects.push(await createSubject(lastName(migrations), migrations));
    for (const subject of subjects) {
      for (let batch = 0; batch < WARMUP_BATCHES; batch++) {
        await subject.insert(batchOf(subject.linkIds, batch));
      }
    }
    // Batches alternate between the two databases, and so does which goes first: whatever else
    // the machine does falls on both alike.
    for (let batch = 0; batch < batches; batch++) {
      const order = batch % 2 === 0 ? subjects : [...subjects].reverse();
      for (const subject of order) await timeBatch(subject, batchOf(subject.linkIds, batch));
    }
    const [before, after] = [summary(pick(subjects, 0)), summary(pick(subjects, 1))];
    const result = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, loadavg: loadavg() },
      size,
      batches,
      links: linkCount,
      visitors: visitorHashes.length,
      before,
      after,
      wallRatio: before.msPerBatchP50 / after.msPerBatchP50,
      cpuRatio: before.backendCpuMicrosPerClick / after.backendCpuMicrosPerClick,
    };
    const row = (phase: typeof before) =>
      `through ${phase.through.padEnd(28)} p50 ${phase.msPerBatchP50.toFixed(2).padStart(6)} ms/batch (${Math.round(phase.clicksPerSecondAtP50).toLocaleString('en')} clicks/s)  p95 ${phase.msPerBatchP95.toFixed(2).padStart(6)} ms  PostgreSQL CPU ${phase.backendCpuMicrosPerClick.toFixed(1)} µs/click`;
    print(
      `${batches} batches of ${size} clicks over ${linkCount} link(s), ${visitorHashes.length} visitors, interleaved; load ${pick(loadavg(), 0).toFixed(2)}`,
    );
    print(row(before));
    print(row(after));
    print(
      `faster by (before / after): wall p50 ${result.wallRatio.toFixed(2)}×, PostgreSQL CPU per click ${result.cpuRatio.toFixed(2)}×`,
    );
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(
      join(RESULTS, `ingest-${Date.now()}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } finally {
    for (const subject of subjects) {
      await subject.handle.close();
      await subject.database.drop();
    }
  }
}

await main();
