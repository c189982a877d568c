/**
 * `npm run bench:export`: what streaming a user's clicks export costs the server in memory, and
 * how fast it goes.
 *
 * Creates a throwaway PostgreSQL database, seeds one user with `--links` links (default 10) and
 * `--clicks` clicks spread over them (default 100,000), with referrers, browsers and bots as
 * traffic has them. Then starts the real application (createContainer + buildServer, listening on
 * a real socket) in a child process of its own, so that what is measured is the server alone,
 * and downloads GET /api/v1/me/export/clicks.csv through that socket: a cold run on the server
 * as it started, then `--runs` more (default 3). Before each, the idle server is
 * garbage-collected and its RSS and heap used taken as the baseline; during the run it samples
 * both every 5 ms and reads its peak RSS from the kernel (VmHWM, reset before the run through
 * /proc/self/clear_refs); after it, it is collected again (what the export left behind). Prints
 * the growth over the baseline beside the size of the body (what building it in memory would at
 * least have cost), rows per second, writes bench/results/export-<timestamp>.json and drops the
 * database. Measures; asserts nothing.
 *
 * Flags: --clicks N, --links N, --runs N. Env: BENCH_POSTGRES_URL (admin URL; default
 * postgres://postgres@127.0.0.1:5432/test).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createContainer } from '#src/container.ts';
import { openDatabase } from '#src/db/client.ts';
import { applyMigrations } from '#src/db/migrator.ts';
import { buildServer } from '#src/http/build-server.ts';
import { createApiTokensRepository } from '#src/modules/accounts/api-tokens.repository.ts';
import { createApiTokensService } from '#src/modules/accounts/api-tokens.service.ts';
import {
  createClicksRepository,
  type ClickValues,
} from '#src/modules/analytics/clicks.repository.ts';
import { formatFindings, hasErrors, loadSettings } from '#src/settings/index.ts';
import { createApiToken, createLink, createUser } from '#test/factories.ts';
import { createThrowawayDatabase } from './throwaway-database.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const TSX = import.meta.resolve('tsx');
const SERVER_FLAG = '--bench-export-server';
const MB = 1024 * 1024;

/** What the server child answers: memory in bytes. */
type Sample = { readonly rss: number; readonly heapUsed: number };
type Peak = Sample & { readonly hwm: number | null; readonly samples: number };
type Reply = { listening: string } | { baseline: Sample } | { started: true } | { peak: Peak };

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

// ---- the server child ----------------------------------------------------------------------

/** VmHWM (peak RSS) in bytes, from the kernel; null where /proc does not say. */
function peakRss(): number | null {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : null;
}

/** Starts VmHWM over from the current RSS (Linux 4.0+); false when the kernel refuses. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function serve(): Promise<void> {
  const loaded = loadSettings({
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
      SITE_URL: 'https://hop.example.com',
      API_RATE_LIMIT: '1000000',
    },
    envFile: '/nonexistent/.env',
    persistDevSecret: false,
  });
  if (hasErrors(loaded.findings)) throw new Error(formatFindings(loaded.findings));
  const container = await createContainer(loaded.settings);
  const app = buildServer(container);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  let peak = { rss: 0, heapUsed: 0, samples: 0 };
  let sampler: NodeJS.Timeout | undefined;
  let hwmReset = false;
  const send = (reply: Reply) => process.send?.(reply);

  process.on('message', (message: string) => {
    if (message === 'baseline') {
      collect();
      collect();
      const { rss, heapUsed } = process.memoryUsage();
      send({ baseline: { rss, heapUsed } });
    } else if (message === 'start') {
      hwmReset = resetPeakRss();
      peak = { rss: 0, heapUsed: 0, samples: 0 };
      sampler = setInterval(() => {
        const { rss, heapUsed } = process.memoryUsage();
        peak = {
          rss: Math.max(peak.rss, rss),
          heapUsed: Math.max(peak.heapUsed, heapUsed),
          samples: peak.samples + 1,
        };
      }, 5);
      send({ started: true });
    } else if (message === 'stop') {
      clearInterval(sampler);
      send({ peak: { ...peak, hwm: hwmReset ? peakRss() : null } });
    } else if (message === 'exit') {
      void app
        .close()
        .then(() => container.close())
        .then(() => process.exit(0));
    }
  });
  send({ listening: url });
}

// ---- the bench -----------------------------------------------------------------------------

const REFERRERS = [null, 'news.example', 'search.example', 'social.example', 'mail.example'];
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Mobile Safari', 'Edge'];
const OSES = ['Windows', 'macOS', 'iOS', 'Android', 'Linux'];
const DEVICES = [null, 'mobile', 'tablet'];

function pick<T>(values: readonly T[], index: number): T {
  return values[index % values.length] as T;
}

/** A child that answers one message with one reply. */
function ask(child: ChildProcess, message: string): Promise<Reply> {
  const reply = once(child, 'message') as Promise<[Reply]>;
  child.send(message);
  return reply.then(([answer]) => answer);
}

/** Downloads `path` and throws the body away, counting bytes and lines as they pass. */
function download(base: string, path: string, authorization: string) {
  return new Promise<{ bytes: number; lines: number; ms: number }>((resolve, reject) => {
    const started = performance.now();
    const req = request(new URL(path, base), { headers: { authorization } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`${path}: ${String(res.statusCode)}`));
        res.resume();
        return;
      }
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      });
      res.on('end', () => {
        resolve({ bytes, lines, ms: performance.now() - started });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: {
      clicks: { type: 'string', default: '100000' },
      links: { type: 'string', default: '10' },
      runs: { type: 'string', default: '3' },
    },
  });
  const clickCount = Number(flags.clicks);
  const linkCount = Number(flags.links);
  const runs = Number(flags.runs);

  const database = await createThrowawayDatabase('hoplink_bench_export');
  let child: ChildProcess | undefined;
  try {
    const handle = await openDatabase({ kind: 'postgres', url: database.url, poolMax: 2 });
    let authorization: string;
    try {
      await applyMigrations(handle);
      const owner = await createUser(handle.db);
      const linkIds: string[] = [];
      for (let index = 0; index < linkCount; index += 1) {
        linkIds.push((await createLink(handle.db, { ownerId: owner.id })).id);
      }
      const seedStarted = performance.now();
      const clicks = createClicksRepository(handle.db);
      const start = Date.now() - clickCount * 1000;
      for (let offset = 0; offset < clickCount; offset += 1000) {
        const batch: ClickValues[] = [];
        for (let n = offset; n < Math.min(clickCount, offset + 1000); n += 1) {
          const host = pick(REFERRERS, n * 7);
          batch.push({
            eventId: randomUUID(),
            linkId: pick(linkIds, n),
            clickedAt: new Date(start + n * 1000),
            referrer: host === null ? null : `https://${host}/page/${n % 50}?utm_source=bench`,
            referrerHost: host,
            browser: pick(BROWSERS, n * 3),
            os: pick(OSES, n * 5),
            device: pick(DEVICES, n * 11),
            isBot: n % 17 === 0,
            ip: '203.0.113.0',
            visitorHash: randomBytes(16).toString('base64url'),
          });
        }
        await clicks.insertMany(batch);
      }
      print(
        `seeded ${clickCount.toLocaleString('en')} clicks over ${linkCount} links in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
      );
      const apiTokens = createApiTokensService({
        apiTokens: createApiTokensRepository(handle.db),
      });
      ({ authorization } = await createApiToken(apiTokens, owner.id, ['links:read']));
    } finally {
      await handle.close();
    }

    const server = fork(fileURLToPath(import.meta.url), [SERVER_FLAG], {
      execArgv: ['--import', TSX, '--expose-gc'],
      env: { ...process.env, BENCH_DATABASE_URL: database.url },
    });
    child = server;
    const listening = (await once(server, 'message')) as [Reply];
    const base = 'listening' in listening[0] ? listening[0].listening : '';
    const path = '/api/v1/me/export/clicks.csv';

    const sample = async (): Promise<Sample> => {
      const reply = await ask(server, 'baseline');
      return 'baseline' in reply ? reply.baseline : { rss: 0, heapUsed: 0 };
    };
    // The server as it starts, before any export: the baseline of the first (cold) run.
    const idle = await sample();
    const results = [];
    for (let run = 0; run <= runs; run += 1) {
      const baseline = run === 0 ? idle : await sample();
      // A moment of idle after the collection, so the baseline is the resting server's.
      await sleep(200);
      await ask(server, 'start');
      const got = await download(base, path, authorization);
      const peakReply = await ask(server, 'stop');
      const peak =
        'peak' in peakReply ? peakReply.peak : { rss: 0, heapUsed: 0, hwm: null, samples: 0 };
      // Collected again once the download is over: what the export left behind.
      const afterwards = await sample();
      const rows = got.lines - 1;
      const peakRss = Math.max(peak.rss, peak.hwm ?? 0);
      const result = {
        run: run === 0 ? 'cold' : run,
        rows,
        bodyMB: got.bytes / MB,
        seconds: got.ms / 1000,
        rowsPerSecond: rows / (got.ms / 1000),
        baselineRssMB: baseline.rss / MB,
        peakRssMB: peakRss / MB,
        rssGrowthMB: (peakRss - baseline.rss) / MB,
        baselineHeapMB: baseline.heapUsed / MB,
        peakHeapMB: peak.heapUsed / MB,
        heapGrowthMB: (peak.heapUsed - baseline.heapUsed) / MB,
        retainedHeapMB: (afterwards.heapUsed - baseline.heapUsed) / MB,
        samples: peak.samples,
        peakFromKernel: peak.hwm !== null,
      };
      results.push(result);
      const mb = (value: number) => value.toFixed(1);
      print(
        `run ${String(result.run)}: ${rows.toLocaleString('en')} rows, ${mb(result.bodyMB)} MB in ${result.seconds.toFixed(2)} s (${Math.round(result.rowsPerSecond).toLocaleString('en')} rows/s); RSS ${mb(result.baselineRssMB)} → ${mb(result.peakRssMB)} MB (+${mb(result.rssGrowthMB)}); heap used ${mb(result.baselineHeapMB)} → peak ${mb(result.peakHeapMB)} MB (+${mb(result.heapGrowthMB)}, garbage included), ${result.retainedHeapMB >= 0 ? '+' : ''}${mb(result.retainedHeapMB)} MB once collected`,
      );
    }
    const report = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, loadavg: loadavg(), node: process.version },
      clicks: clickCount,
      links: linkCount,
      path,
      runs: results,
    };
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, `export-${Date.now()}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    print(`written to ${file}`);
  } finally {
    if (child) {
      child.send('exit');
      await once(child, 'exit');
    }
    await database.drop();
  }
}

if (process.argv.includes(SERVER_FLAG)) await serve();
else await main();
