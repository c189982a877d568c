/**
 * `npm run bench`: Hoplink's redirect (production mode, PostgreSQL, every security header, the
 * click captured) against a bare Fastify Map lookup, under the same load on the same machine.
 * Each server runs alone, pinned to CPU 0; autocannon is pinned to CPU 1. Prints a table and
 * writes bench/results/latest.json and latest.png. Measures; asserts nothing.
 *
 * Flags: --duration S (measured window, default 10), --warmup S (default 3), --connections N
 * (default 50), --cpu-prof (also profile Hoplink's worker and print its top frames),
 * --env NAME=VALUE (repeatable: an extra setting for Hoplink, e.g. LOG_LEVEL=warn), --method
 * HEAD (the same redirect without a click: isolates the cost of capturing and writing clicks),
 * --worker-concurrency N (click batches the worker writes at once, default 4 as `hoplink worker`).
 * Env: BENCH_POSTGRES_URL (admin URL; default postgres://postgres@127.0.0.1:5432/test),
 * REDIS_URL (default redis://127.0.0.1:6379: production requires it), EMAIL_URL (default
 * smtp://127.0.0.1:2525: required in production, never used on the redirect path).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createContainer } from '#src/container.ts';
import { loadSettings, hasErrors, formatFindings } from '#src/settings/index.ts';
import { createUser } from '#test/factories.ts';
import { renderChart, writePng } from './chart.ts';
import { summarizeProfile } from './profile.ts';
import { createThrowawayDatabase } from './throwaway-database.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const AUTOCANNON = join(ROOT, 'node_modules/autocannon/autocannon.js');
const TSX = import.meta.resolve('tsx');
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const TARGET_URL = 'https://example.com/landing?utm_source=bench';
const GOALS = { ratio: 0.7, p99Ms: 5, rssMb: 150 };

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    'cpu-prof': { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    method: { type: 'string', default: 'GET' },
    'worker-concurrency': { type: 'string', default: '4' },
  },
});
/** `--env NAME=VALUE` (repeatable): a setting for Hoplink's serve, for experiments. */
const extraEnv = Object.fromEntries(
  flags.env.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env wants NAME=VALUE, not ${pair}`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const durationS = Number(flags.duration);
const warmupS = Number(flags.warmup);
const connections = Number(flags.connections);
// HEAD answers the same redirect with the same headers but is no click: the capture's cost.
const method = flags.method.toUpperCase();

interface Load {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  readonly redirects: number;
  /** Connection errors and timeouts plus any response that was not a 302. */
  readonly errors: number;
  /**
   * CPU time autocannon used over the window, as a share of one core: near 1, the load
   * generator (not the server) sets the pace, and the ratio measures autocannon.
   */
  readonly generatorCpu: number;
}

interface ServerResult extends Load {
  readonly name: string;
  /** CPU time the server process used over the measured window, as a share of one core. */
  readonly serverCpu: number;
  /** Log lines the server wrote over warm-up and measured window (sampled access lines). */
  readonly logLines?: number;
  readonly peakRssMb: number;
  /** 3xx answers over warm-up and measured window: every one should be a click. */
  readonly clicksSent?: number;
  /** Counted once the server stopped and a `hoplink worker` drained the clicks queue. */
  readonly clicksRecorded?: number;
  /** Summed from the server's "clicks dropped" warnings. */
  readonly clicksDroppedLogged?: number;
  /** One worker draining the backlog of the measured run: clicks written per second. */
  readonly workerIngestPerSecond?: number;
  /** The same drain's CPU per click: the worker's, and PostgreSQL's (all its processes). */
  readonly workerCpuMicrosPerClick?: number;
  readonly postgresCpuMicrosPerClick?: number;
  /** Server and worker running together. */
  readonly concurrent?: ConcurrentRun;
}

interface ConcurrentRun {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly clicksSent: number;
  readonly clicksRecorded: number;
  /** From the end of the load until the last click was a row. */
  readonly lagMs: number;
}

const canPin = spawnSync('taskset', ['-c', '0', 'true']).status === 0 && availableParallelism() > 1;
const pinned = (cpu: number, command: string, args: string[]): [string, string[]] =>
  canPin ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

// ---- setup -------------------------------------------------------------------------------

function ensureBuilt(): void {
  const main = join(ROOT, 'dist/main.js');
  if (existsSync(main) && existsSync(join(ROOT, 'dist/static'))) {
    const builtAt = statSync(main).mtimeMs;
    const newer = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter(
      (file) => statSync(join(ROOT, 'src', file)).mtimeMs > builtAt,
    );
    if (newer.length > 0)
      log(`dist/ is older than ${newer.length} file(s) in src/: run npm run build to bench them`);
    return;
  }
  log('dist/ is missing: npm run build');
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
}

function productionEnv(databaseUrl: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    SECRET_KEY: randomBytes(48).toString('base64url'),
    ALLOWED_HOSTS: 'localhost,127.0.0.1',
    SITE_URL: 'https://hop.example.com',
    DATABASE_URL: databaseUrl,
    STATIC_ROOT: join(ROOT, 'dist/static'),
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: '0',
    WEB_CONCURRENCY: '1',
  };
  // Production requires both; the redirect path sends no mail, so any SMTP address will do.
  env.REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  env.EMAIL_URL = process.env.EMAIL_URL ?? 'smtp://127.0.0.1:2525';
  // Its own queues: a bench run neither feeds nor drains anyone else's jobs.
  env.QUEUE_PREFIX = `hoplink-bench-${randomBytes(4).toString('hex')}`;
  return { ...env, ...extraEnv };
}

/** A user (the test factory) and a 302 link made through the links service, as the API would. */
async function createLink(env: Record<string, string>): Promise<{ id: string; code: string }> {
  const loaded = loadSettings({ env, envFile: '/nonexistent/.env' });
  if (hasErrors(loaded.findings)) throw new Error(formatFindings(loaded.findings));
  const container = await createContainer(loaded.settings);
  try {
    // The test factory's user row: sign-up would also queue a welcome email, irrelevant here.
    const user = await createUser(container.database.db);
    const link = await container.links.create(user.id, { url: TARGET_URL, redirectStatus: 302 });
    return { id: link.id, code: link.code };
  } finally {
    await container.close();
  }
}

// ---- processes ---------------------------------------------------------------------------

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** Clicks the server logged as dropped (its buffer was full). */
  droppedClicks(): number;
  /** Lines the server has written to stdout and stderr so far. */
  logLines(): number;
}

/**
 * Starts a server pinned to CPU 0. Ready when it prints `listening on <url>`, or, given `url`,
 * as soon as that URL answers at all (Hoplink prints no startup line under LOG_LEVEL=warn).
 */
function start(
  command: string,
  args: string[],
  env: Record<string, string>,
  { url, timeoutMs = 30_000 }: { url?: string; timeoutMs?: number } = {},
): Promise<Started> {
  const [file, argv] = pinned(0, command, args);
  const child = spawn(file, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let pending = '';
  let dropped = 0;
  let lineCount = 0;
  // Keep reading (and keep only the tail) so a chatty server never blocks on a full pipe; the
  // click sink's "clicks dropped" warnings are summed on the way.
  const collect = (chunk: string) => {
    out = (out + chunk).slice(-20_000);
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    lineCount += lines.length;
    for (const line of lines) dropped += Number(/"dropped":(\d+)/.exec(line)?.[1] ?? 0);
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not start within ${timeoutMs} ms\n${out}`));
    }, timeoutMs);
    const state = { done: false };
    const ready = (at: string) => {
      if (state.done) return;
      state.done = true;
      clearTimeout(timer);
      resolve({
        child,
        url: at,
        output: () => out,
        droppedClicks: () => dropped,
        logLines: () => lineCount,
      });
    };
    if (url) {
      void (async () => {
        while (!state.done && child.exitCode === null) {
          const answered = await fetch(url).then(
            () => true,
            () => false,
          );
          if (answered) ready(new URL(url).origin);
          else await sleep(100);
        }
      })();
    } else {
      child.stdout.on('data', () => {
        const match = /listening on (https?:\/\/[^\s)"]+)/.exec(out);
        if (match?.[1]) ready(match[1]);
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${String(code)}) before listening\n${out}`));
    });
  });
}

function stop(child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

/** The web worker: the primary's only node child (cluster.fork). */
function workerPid(primaryPid: number): number {
  const listing = execFileSync('ps', ['-o', 'pid=', '--ppid', String(primaryPid)], {
    encoding: 'utf8',
  });
  const pid = Number.parseInt(listing.trim().split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid)) throw new Error(`no worker under ${primaryPid}`);
  return pid;
}

/** Peak resident set size so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** User + system CPU seconds a process has used so far (/proc/PID/stat, in clock ticks). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds used so far by every PostgreSQL process of this machine (its backends included). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue; // gone meanwhile
    }
    const seconds = cpuSeconds(Number(entry));
    if (Number.isFinite(seconds)) total += seconds;
  }
  return total;
}

// ---- load --------------------------------------------------------------------------------

interface AutocannonJson {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
  totalCompletedRequests: number;
}

function drive(url: string, seconds: number): Promise<Load> {
  const [file, argv] = pinned(1, process.execPath, [
    AUTOCANNON,
    '--json',
    '--connections',
    String(connections),
    '--duration',
    String(seconds),
    '--method',
    method,
    '--headers',
    `user-agent=${USER_AGENT}`,
    '--headers',
    'accept=text/html',
    url,
  ]);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const startedAt = performance.now();
    // taskset execs autocannon in place, so the pid is autocannon's. Read until it exits: the
    // last reading is at most 200 ms short of its total.
    let generatorSeconds = 0;
    const sampler = setInterval(() => {
      const used = cpuSeconds(child.pid ?? -1);
      if (Number.isFinite(used)) generatorSeconds = used;
    }, 200);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('exit', (code) => {
      clearInterval(sampler);
      const elapsedSeconds = (performance.now() - startedAt) / 1000;
      if (code !== 0) {
        reject(new Error(`autocannon exited ${String(code)}\n${err}`));
        return;
      }
      const json = JSON.parse(out) as AutocannonJson;
      const redirects = json['3xx'];
      resolve({
        requestsPerSecond: json.requests.average,
        p50Ms: json.latency.p50,
        p99Ms: json.latency.p99,
        total: json.totalCompletedRequests,
        redirects,
        errors: json.errors + json.timeouts + json['2xx'] + json['4xx'] + json['5xx'],
        generatorCpu: generatorSeconds / elapsedSeconds,
      });
    });
  });
}

async function measure(
  name: string,
  url: string,
  pid: number,
): Promise<{ load: Load; redirects: number; peakRssMb: number; serverCpu: number }> {
  log(`${name}: warm-up ${warmupS}s`);
  const warm = warmupS > 0 ? await drive(url, warmupS) : undefined;
  log(`${name}: measuring ${durationS}s at ${connections} connections`);
  const cpuBefore = cpuSeconds(pid);
  const startedAt = performance.now();
  const load = await drive(url, durationS);
  const serverCpu = (cpuSeconds(pid) - cpuBefore) / ((performance.now() - startedAt) / 1000);
  return {
    load,
    redirects: (warm?.redirects ?? 0) + load.redirects,
    peakRssMb: peakRssMb(pid),
    serverCpu,
  };
}

async function countClicks(databaseUrl: string, linkId: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'select count(*) as n from clicks where link_id = $1',
      [linkId],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

interface Drain {
  readonly recorded: number;
  /** Clicks per second from the first row the worker wrote to the last. */
  readonly ingestPerSecond: number;
  /** From `since` until the count reached `expected` (or stopped moving). */
  readonly elapsedMs: number;
  /**
   * CPU per click written, from the first write seen to the last: the worker's (when its pid is
   * given) and all of PostgreSQL's. Steadier than clicks/s on a machine whose speed drifts.
   */
  readonly workerCpuMicrosPerClick?: number;
  readonly postgresCpuMicrosPerClick: number;
}

/**
 * Polls the link's click total until it reaches `expected` or stops moving for 10 s (a worker
 * still starting), timing the writes: the worker's ingest rate, and how long after `since` the
 * last click landed. The total comes from the daily rollup, which the insert's trigger keeps
 * exact in the same statement: one row per day on one connection, where a count(*) of the growing
 * clicks table on a new connection every 50 ms took PostgreSQL CPU from the ingest it measures.
 * The clicks rows themselves are counted once, at the end.
 */
async function drainClicks(
  databaseUrl: string,
  linkId: string,
  expected: number,
  since: number,
  workerPid?: number,
): Promise<Drain> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const rolledUp = async () => {
    const { rows } = await client.query<{ n: string }>(
      'select coalesce(sum(clicks + bots), 0) as n from click_daily where link_id = $1',
      [linkId],
    );
    return Number(rows[0]?.n ?? 0);
  };
  try {
    const start = await rolledUp();
    let last = start;
    let stableSince = Date.now();
    let firstWriteAt: number | null = null;
    let firstWriteCount = start;
    // performance.now() like `since`: when every click was a row already, the lag is nil.
    let lastWriteAt = since;
    const cpuNow = () => ({
      worker: workerPid === undefined ? Number.NaN : cpuSeconds(workerPid),
      postgres: postgresCpuSeconds(),
    });
    let firstCpu = cpuNow();
    let lastCpu = firstCpu;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const count = await rolledUp();
      const now = performance.now();
      if (count !== last) {
        if (firstWriteAt === null) {
          firstWriteAt = now;
          firstWriteCount = last;
          firstCpu = cpuNow();
        } else {
          lastCpu = cpuNow();
        }
        lastWriteAt = now;
        last = count;
        stableSince = Date.now();
      }
      if (count >= expected || Date.now() > deadline || Date.now() - stableSince > 10_000) {
        const writingMs = firstWriteAt === null ? 0 : lastWriteAt - firstWriteAt;
        const written = count - firstWriteCount;
        const perClick = (seconds: number) =>
          written > 0 ? (seconds * 1e6) / written : Number.NaN;
        const workerMicros = perClick(lastCpu.worker - firstCpu.worker);
        return {
          recorded: await countClicks(databaseUrl, linkId),
          ingestPerSecond: writingMs > 0 ? (written * 1000) / writingMs : 0,
          elapsedMs: lastWriteAt - since,
          ...(Number.isFinite(workerMicros) ? { workerCpuMicrosPerClick: workerMicros } : {}),
          postgresCpuMicrosPerClick: perClick(lastCpu.postgres - firstCpu.postgres),
        };
      }
      await sleep(50);
    }
  } finally {
    await client.end();
  }
}

// ---- runs --------------------------------------------------------------------------------

/** Runs `work` while a `hoplink worker` (clicks queue only, pinned to `cpu`) is running. */
async function withWorker<T>(
  env: Record<string, string>,
  cpu: number,
  work: (workerPid: number) => Promise<T>,
  /** Node flags for the worker, e.g. --cpu-prof. */
  nodeFlags: string[] = [],
): Promise<T> {
  const [file, argv] = pinned(cpu, process.execPath, [
    ...nodeFlags,
    'dist/main.js',
    'worker',
    '--queues',
    'clicks',
    '--concurrency',
    flags['worker-concurrency'],
  ]);
  const worker = spawn(file, argv, { cwd: ROOT, env, stdio: 'ignore' });
  try {
    return await work(worker.pid ?? -1);
  } finally {
    await stop(worker);
  }
}

/**
 * The steady state: server and worker together (the worker on the load generator's core, the
 * only other one), load for the same window, then how long until the last click is a row.
 */
async function clickLag(
  env: Record<string, string>,
  databaseUrl: string,
  link: { id: string; code: string },
): Promise<ConcurrentRun> {
  const before = await countClicks(databaseUrl, link.id);
  return withWorker(env, 1, async () => {
    const server = await start(process.execPath, ['dist/main.js', 'serve'], env, {
      url: `http://127.0.0.1:${env.SERVER_PORT ?? ''}/healthz`,
    });
    try {
      log(`hoplink + worker: ${durationS}s at ${connections} connections, then the click lag`);
      const load = await drive(`${server.url}/${link.code}`, durationS);
      const loadEnded = performance.now();
      const drained = await drainClicks(databaseUrl, link.id, before + load.redirects, loadEnded);
      return {
        requestsPerSecond: load.requestsPerSecond,
        p99Ms: load.p99Ms,
        clicksSent: load.redirects,
        clicksRecorded: drained.recorded - before,
        lagMs: Math.max(0, drained.elapsedMs),
      };
    } finally {
      await stop(server.child);
    }
  });
}

async function benchHoplink(): Promise<{
  result: ServerResult;
  profile?: string;
  /** The `hoplink worker` draining the backlog, under --cpu-prof. */
  ingestProfile?: string;
  headers: Record<string, string>;
}> {
  const database = await createThrowawayDatabase('hoplink_bench');
  const { name, url: databaseUrl } = database;
  const profileDir = join(RESULTS, 'profile');
  try {
    const env = productionEnv(databaseUrl);
    const migrated = spawnSync(process.execPath, ['dist/main.js', 'migrate'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    if (migrated.status !== 0) throw new Error(`hoplink migrate failed\n${migrated.stderr}`);
    const link = await createLink(env);
    // Node flags, not NODE_OPTIONS (which refuses --cpu-prof); cluster workers inherit them.
    const nodeFlags = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    if (flags['cpu-prof']) rmSync(profileDir, { recursive: true, force: true });
    env.SERVER_PORT = String(await freePort());
    const server = await start(process.execPath, [...nodeFlags, 'dist/main.js', 'serve'], env, {
      url: `http://127.0.0.1:${env.SERVER_PORT}/healthz`,
    });
    try {
      const pid = workerPid(server.child.pid ?? -1);
      const target = `${server.url}/${link.code}`;
      const probe = await fetch(target, { redirect: 'manual' });
      if (probe.status !== 302 || probe.headers.get('location') !== TARGET_URL) {
        throw new Error(`GET ${target} answered ${probe.status}, not the 302 to ${TARGET_URL}`);
      }
      // What a bare route must also send to put the same bytes on the wire (less what Node adds
      // itself, and the request id, which differs per request: a fixed one of the same length).
      const NODE_ADDS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'location']);
      const headers = Object.fromEntries(
        [...probe.headers.entries()].filter(([header]) => !NODE_ADDS.has(header)),
      );
      log(
        `hoplink: ${target} → 302 with ${[...probe.headers.keys()].length} headers, worker pid ${pid}`,
      );
      const linesBefore = server.logLines();
      const { load, redirects, peakRssMb, serverCpu } = await measure('hoplink', target, pid);
      const logLines = server.logLines() - linesBefore;
      // The probe above is a click too. autocannon counts completed responses only: requests in
      // flight when a window ends (up to one per connection) reach the server uncounted.
      const clicksSent = (method === 'GET' ? redirects : 0) + 1;
      // The worker runs after the load, on the server's core: this measures the web process
      // alone, as a deployment runs workers elsewhere. Stopping the server flushes its buffer.
      await stop(server.child);
      log(`hoplink: a worker drains the clicks queue; waiting for ${clicksSent} clicks`);
      const ingestProfileDir = join(profileDir, 'ingest');
      const drained = await withWorker(
        env,
        0,
        (workerPid) => drainClicks(databaseUrl, link.id, clicksSent, performance.now(), workerPid),
        flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${ingestProfileDir}`] : [],
      );
      log(
        `hoplink: ${drained.recorded} clicks recorded; one worker wrote ${fixed(drained.ingestPerSecond, 0)} clicks/s`,
      );
      const lag = method === 'GET' ? await clickLag(env, databaseUrl, link) : undefined;
      const result: ServerResult = {
        name: 'hoplink',
        ...load,
        peakRssMb,
        serverCpu,
        logLines,
        clicksSent,
        clicksRecorded: drained.recorded,
        clicksDroppedLogged: server.droppedClicks(),
        workerIngestPerSecond: drained.ingestPerSecond,
        ...(drained.workerCpuMicrosPerClick === undefined
          ? {}
          : { workerCpuMicrosPerClick: drained.workerCpuMicrosPerClick }),
        postgresCpuMicrosPerClick: drained.postgresCpuMicrosPerClick,
        ...(lag ? { concurrent: lag } : {}),
      };
      const profile = flags['cpu-prof'] ? workerProfile(profileDir, pid) : undefined;
      const ingestProfile = flags['cpu-prof'] ? onlyProfile(ingestProfileDir) : undefined;
      return {
        result,
        headers,
        ...(profile ? { profile } : {}),
        ...(ingestProfile ? { ingestProfile } : {}),
      };
    } finally {
      await stop(server.child);
    }
  } finally {
    await database.drop().catch((error: unknown) => {
      log(`could not drop ${name}: ${String(error)}`);
    });
  }
}

function onlyProfile(dir: string): string | undefined {
  const file = existsSync(dir)
    ? readdirSync(dir).find((entry) => entry.endsWith('.cpuprofile'))
    : undefined;
  return file ? summarizeProfile(join(dir, file), 15) : undefined;
}

function workerProfile(dir: string, pid: number): string | undefined {
  const file = readdirSync(dir).find((entry) => entry.includes(`.${pid}.`));
  if (!file) return undefined;
  return summarizeProfile(join(dir, file), 15);
}

/**
 * The bare Fastify route; given `headers`, it also sends them (Hoplink's, as measured): the
 * same bytes on the wire, so the gap left is Hoplink's own work per request.
 */
async function benchBaseline(
  code: string,
  headers?: Record<string, string>,
): Promise<ServerResult> {
  const name = headers ? 'baseline + headers' : 'baseline';
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    BENCH_CODE: code,
    BENCH_TARGET: TARGET_URL,
    ...(headers ? { BENCH_HEADERS: JSON.stringify(headers) } : {}),
  };
  const server = await start(process.execPath, ['--import', TSX, 'bench/baseline.ts'], env);
  try {
    const { load, peakRssMb, serverCpu } = await measure(
      name,
      `${server.url}/${code}`,
      server.child.pid ?? -1,
    );
    return { name, ...load, peakRssMb, serverCpu };
  } finally {
    await stop(server.child);
  }
}

// ---- report ------------------------------------------------------------------------------

const mark = (met: boolean) => (met ? 'met' : 'NOT MET');
const fixed = (value: number, digits = 1) => value.toFixed(digits);

/** Server CPU per answered request: the cost itself, whichever process set the pace. */
const cpuMicros = (r: ServerResult) => (r.serverCpu * 1e6) / r.requestsPerSecond;
function cpuPerRequestLine(
  hoplink: ServerResult,
  baseline: ServerResult,
  withHeaders: ServerResult,
): string {
  const line =
    `CPU per request: Hoplink ${fixed(cpuMicros(hoplink), 1)} µs, baseline ${fixed(cpuMicros(baseline), 1)} µs ` +
    `(${fixed(cpuMicros(baseline) / cpuMicros(hoplink), 3)}), baseline + Hoplink's headers ` +
    `${fixed(cpuMicros(withHeaders), 1)} µs (${fixed(cpuMicros(withHeaders) / cpuMicros(hoplink), 3)})`;
  // A server below ~90 % of its core was waiting for requests: the load generator set the pace.
  const paced = [hoplink, baseline, withHeaders].filter(
    (r) => r.serverCpu < 0.9 && r.generatorCpu > 0.9,
  );
  return paced.length === 0
    ? line
    : `${line}; autocannon saturated its core while ${paced.map((r) => r.name).join(' and ')} had CPU to spare`;
}

async function main(): Promise<void> {
  ensureBuilt();
  mkdirSync(RESULTS, { recursive: true });
  const startedAt = new Date();
  const load1 = loadavg()[0] ?? Number.NaN;
  const { result: hoplink, profile, ingestProfile, headers } = await benchHoplink();
  const baseline = await benchBaseline('bench');
  const withHeaders = await benchBaseline('bench', headers);
  const ratio = hoplink.requestsPerSecond / baseline.requestsPerSecond;
  const goals = {
    ratio: { goal: `>= ${GOALS.ratio}`, value: ratio, met: ratio >= GOALS.ratio },
    p99Ms: { goal: `<= ${GOALS.p99Ms}`, value: hoplink.p99Ms, met: hoplink.p99Ms <= GOALS.p99Ms },
    rssMb: {
      goal: `<= ${GOALS.rssMb}`,
      value: hoplink.peakRssMb,
      met: hoplink.peakRssMb <= GOALS.rssMb,
    },
  };
  const redis = `PostgreSQL and Redis (${process.env.REDIS_URL ? 'REDIS_URL' : 'redis://127.0.0.1:6379'}); clicks queued, written by a worker after the run`;
  const machine = {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage1mAtStart: load1,
    pinned: canPin ? 'servers on CPU 0, autocannon on CPU 1' : 'not pinned (taskset unavailable)',
  };

  const rows = [
    ['', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'peak RSS MB', 'server CPU', 'autocannon CPU'],
    ...[hoplink, baseline, withHeaders].map((r) => [
      r.name,
      fixed(r.requestsPerSecond, 0),
      fixed(r.p50Ms),
      fixed(r.p99Ms),
      String(r.errors),
      fixed(r.peakRssMb),
      `${fixed(r.serverCpu * 100, 0)} %`,
      `${fixed(r.generatorCpu * 100, 0)} %`,
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const table = rows.map((row) => row.map((cell, i) => cell.padStart(widths?.[i] ?? 0)).join('  '));
  const lines = [
    '',
    `Hoplink redirect vs bare Fastify — ${method} ${durationS}s measured after ${warmupS}s warm-up, ${connections} connections`,
    `${machine.cpus} CPUs (${machine.model}), Node ${machine.node}, ${machine.pinned}, load average ${fixed(load1, 2)} at start`,
    `Hoplink: production, 1 web worker, ${redis}`,
    ...(flags.env.length > 0 ? [`Hoplink extra settings: ${flags.env.join(' ')}`] : []),
    '',
    ...table,
    '',
    `ratio Hoplink/baseline req/s: ${fixed(ratio, 3)}   (goal ${goals.ratio.goal}: ${mark(goals.ratio.met)})`,
    `ratio Hoplink/(baseline + Hoplink's headers) req/s: ${fixed(hoplink.requestsPerSecond / withHeaders.requestsPerSecond, 3)}`,
    cpuPerRequestLine(hoplink, baseline, withHeaders),
    `Hoplink p99: ${fixed(hoplink.p99Ms)} ms            (goal ${goals.p99Ms.goal} ms: ${mark(goals.p99Ms.met)})`,
    `Hoplink peak RSS: ${fixed(hoplink.peakRssMb)} MB     (goal ${goals.rssMb.goal} MB: ${mark(goals.rssMb.met)})`,
    `clicks: ${hoplink.clicksSent} sent (+ up to ${connections * (warmupS > 0 ? 2 : 1)} in flight at window ends), ` +
      `${hoplink.clicksRecorded} recorded by the worker, ` +
      `${hoplink.clicksDroppedLogged} logged as dropped; ${hoplink.logLines ?? 0} log lines written`,
  ];
  if (hoplink.workerIngestPerSecond !== undefined) {
    const ingest = hoplink.workerIngestPerSecond;
    lines.push(
      `ingest: one worker wrote ${fixed(ingest, 0)} clicks/s draining the run's backlog, ` +
        `${fixed(ingest / hoplink.requestsPerSecond, 2)}× the redirect rate (goal >= 1: ${mark(ingest >= hoplink.requestsPerSecond)})`,
    );
  }
  if (hoplink.workerCpuMicrosPerClick !== undefined) {
    // A core's worth of worker writes 1e6 / (µs per click) clicks a second; a core's worth of
    // web process serves 1e6 / (µs per request) redirects. Their quotient is the rate ratio with
    // the machine's drifting speed taken out.
    const webMicros = cpuMicros(hoplink);
    const workerMicros = hoplink.workerCpuMicrosPerClick;
    lines.push(
      `ingest CPU: the worker ${fixed(workerMicros)} µs/click, PostgreSQL ${fixed(hoplink.postgresCpuMicrosPerClick ?? Number.NaN)} µs/click; ` +
        `per core, one worker writes ${fixed(webMicros / workerMicros, 2)} clicks per redirect one web process serves ` +
        `(${fixed(webMicros)} µs/request; goal >= 1: ${mark(webMicros >= workerMicros)})`,
    );
  }
  if (hoplink.concurrent) {
    const run = hoplink.concurrent;
    lines.push(
      `with a worker alongside: ${fixed(run.requestsPerSecond, 0)} req/s, p99 ${fixed(run.p99Ms)} ms; ` +
        `${run.clicksRecorded} of ${run.clicksSent} clicks recorded, the last ${fixed(run.lagMs, 0)} ms after the load stopped`,
    );
  }
  if (profile) lines.push('', 'Hoplink worker, top self-time frames under load:', profile);
  if (ingestProfile) {
    lines.push(
      '',
      'hoplink worker draining the clicks queue, top self-time frames:',
      ingestProfile,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  const json = {
    startedAt: startedAt.toISOString(),
    options: { method, durationS, warmupS, connections, userAgent: USER_AGENT, env: flags.env },
    machine,
    hoplink: { ...hoplink, runtime: redis },
    baseline,
    baselineWithHeaders: withHeaders,
    ratio,
    goals,
  };
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  const svg = renderChart({
    hoplink,
    baseline,
    ratio,
    caption: `${machine.pinned}; load ${fixed(load1, 2)}`,
  });
  writeFileSync(join(RESULTS, 'latest.svg'), svg);
  try {
    await writePng(svg, join(RESULTS, 'latest.png'));
  } catch (error) {
    log(`could not render latest.png (latest.svg is there): ${String(error)}`);
  }
  log(`wrote bench/results/latest.json, latest.svg, latest.png`);
}

await main();
