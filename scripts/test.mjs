// Runs every *.test.ts under src/ and test/ with Node's test runner (Node 20 does not glob).
// Extra arguments pass through, e.g. `npm test -- --test-name-pattern=hosts` or a file path.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { buildServerBundle } from './server-bundle.mjs';

// Keep in step with test/helpers/database.ts, redis.ts, browser.ts and prometheus.ts.
const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHROMIUM_PATH = '/usr/bin/chromium';
const PROMETHEUS_PATH = '/usr/bin/prometheus';
const SKIPPED = 'not available: suites that need it are skipped';

async function postgresAnswers() {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers() {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * One line per backing service, so a green run says what it could not exercise. The verdicts go
 * to the test processes (HOPLINK_TEST_POSTGRES, HOPLINK_TEST_REDIS), which then skip exactly what
 * this header says: a probe of their own, made while a busy process loads its modules, could
 * time out and skip suites against a server that is there.
 */
async function reportServices() {
  const database = process.env.HOPLINK_TEST_DATABASE ?? 'pglite';
  const postgresHost = new URL(POSTGRES_URL).host;
  const [postgres, redis] = await Promise.all([postgresAnswers(), redisAnswers()]);
  console.log(`PostgreSQL at ${postgresHost}: ${postgres ? 'available' : SKIPPED}`);
  console.log(`Redis at ${new URL(REDIS_URL).host}: ${redis ? 'available' : SKIPPED}`);
  console.log(`Chromium at ${CHROMIUM_PATH}: ${existsSync(CHROMIUM_PATH) ? 'available' : SKIPPED}`);
  console.log(
    `Prometheus at ${PROMETHEUS_PATH}: ${existsSync(PROMETHEUS_PATH) ? 'available' : SKIPPED}`,
  );
  console.log(`Shared test database: ${database} (HOPLINK_TEST_DATABASE)`);
  if (database === 'postgres' && !postgres) {
    console.error(
      `HOPLINK_TEST_DATABASE=postgres needs PostgreSQL at ${postgresHost}; it is not reachable.`,
    );
    process.exit(1);
  }
  return { HOPLINK_TEST_POSTGRES: postgres ? '1' : '0', HOPLINK_TEST_REDIS: redis ? '1' : '0' };
}

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : collect(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const args = process.argv.slice(2);
const explicitFiles = args.filter((arg) => arg.endsWith('.ts'));
const flags = args.filter((arg) => !arg.endsWith('.ts'));
const files =
  explicitFiles.length > 0 ? explicitFiles : [...collect('src'), ...collect('test')].sort();
// Files run side by side, one per core and at least two (a third slot on two cores measured no
// faster: the suite is CPU-bound). `-- --test-concurrency=1` runs them one at a time.
const parallelism = Math.max(2, availableParallelism());
const CACHE = 'node_modules/.cache';

/**
 * The in-process suites (src/) run in a few processes (two per core), not one per file: a process
 * pays seconds of CPU before its first test (loading the app through tsx, opening the embedded
 * database), which on two cores was most of the suite's time. Their files share that
 * process's database the way the tests of one file always have (each test makes its own users
 * and links). The end-to-end suites (test/) keep a process each: they start servers, workers and
 * databases of their own. HOPLINK_TEST_ISOLATE=1 gives every file its own process again.
 */
function grouped(paths) {
  const inProcess = paths.filter((path) => path.startsWith('src/') || path.startsWith('src\\'));
  if (process.env.HOPLINK_TEST_ISOLATE === '1' || inProcess.length < 2) return paths;
  // Outside the project: Node 22 and later treat the runner's arguments as globs that never match
  // under node_modules/, and then run the other files as if these did not exist.
  const project = createHash('sha256').update(process.cwd()).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `hoplink-test-groups-${project}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Two per core: smaller groups end closer together, so no single one is the whole run's tail.
  const count = Math.min(2 * parallelism, inProcess.length);
  const groups = Array.from({ length: count }, (_, index) =>
    inProcess.filter((_path, at) => at % count === index),
  );
  const entries = groups.map((group, index) => {
    const entry = join(dir, `src-${String(index + 1)}-of-${String(count)}.mjs`);
    const imports = group.map(
      (path) => `import ${JSON.stringify(pathToFileURL(resolve(path)).href)};`,
    );
    writeFileSync(
      entry,
      `// ${String(group.length)} files of src/, run in one process by scripts/test.mjs\n${imports.join('\n')}\n`,
    );
    return entry;
  });
  return [...entries, ...paths.filter((path) => !inProcess.includes(path))];
}

/**
 * How long each test process took at its last run (seconds, by file), which every test process
 * appends to HOPLINK_TEST_TIMINGS as it exits (test/helpers/setup.ts). The runner starts the
 * longest first, so the run does not end on one long file started last; files never timed go
 * first of all.
 */
const TIMINGS = resolve(CACHE, 'hoplink-test-timings.tsv');
function readTimings(fromOffset = 0) {
  const seconds = new Map();
  const text = existsSync(TIMINGS) ? readFileSync(TIMINGS).subarray(fromOffset).toString() : '';
  for (const line of text.split('\n')) {
    const [file, value] = line.split('\t');
    if (file && Number.isFinite(Number(value))) seconds.set(file, Number(value));
  }
  return seconds;
}
const lastTimings = readTimings();
const timingKey = (path) => relative(process.cwd(), path);
function longestFirst(paths) {
  const last = (path) => lastTimings.get(timingKey(path)) ?? Infinity;
  return [...paths].sort((a, b) => last(b) - last(a));
}
/** Rewrites the timings file with `timings` (files that no longer exist dropped); its length. */
function writeTimings(timings) {
  const kept = [...timings].filter(([file]) => existsSync(file));
  const text = kept.map(([file, seconds]) => `${file}\t${String(seconds)}\n`).join('');
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(TIMINGS, text);
  return Buffer.byteLength(text);
}

/**
 * Every test process that opens an embedded database loads this migrated dump instead of running
 * PGlite's initdb and the migrations itself (test/helpers/pglite-template.ts): seconds per file.
 */
function pgliteTemplate() {
  const built = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/pglite-template.ts'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (built.status !== 0) {
    console.log('Embedded database template: could not be built; each file starts PGlite afresh');
    return {};
  }
  return { HOPLINK_TEST_PGLITE_TEMPLATE: built.stdout.trim() };
}

/**
 * The server bundle that tests spawning `hoplink` (serve, worker, a command's process) start,
 * built from the sources under test for this run (test/helpers/hoplink-command.ts).
 */
async function serverBundle() {
  try {
    const main = await buildServerBundle('node_modules/.cache/hoplink-test-build');
    return { HOPLINK_TEST_BUILD: resolve(main) };
  } catch {
    console.log('Server bundle: could not be built; spawned processes load the sources via tsx');
    return {};
  }
}

const services = await reportServices();
const bundle = await serverBundle();
const runFiles = longestFirst(grouped(files));
// What the test processes append from here on is this run's.
const runStart = writeTimings(lastTimings);
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './test/helpers/setup.ts',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/slowest-files.mjs',
    '--test-reporter-destination=stdout',
    `--test-concurrency=${String(parallelism)}`,
    ...flags,
    ...runFiles,
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      ...pgliteTemplate(),
      ...bundle,
      ...services,
      HOPLINK_TEST_TIMINGS: TIMINGS,
      NODE_ENV: 'test',
    },
  },
);
// This run's times replace the older ones; files it did not run keep theirs.
const thisRun = readTimings(runStart);
writeTimings(new Map([...lastTimings, ...thisRun]));
// Every test process records its time as it exits, so a file with none never ran: Node 22 and
// later, for one, pass over an argument they cannot find and report the rest as a success.
const neverRan = runFiles.filter((path) => !thisRun.has(timingKey(path)));
if (neverRan.length > 0) {
  console.error(
    `\nThese test files never ran, or never finished:\n${neverRan.map((path) => `  ${path}`).join('\n')}`,
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
