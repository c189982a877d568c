// Runs every *.test.ts under src/ and test/ with Node's test runner (Node 20 does not glob).
// Extra arguments pass through, e.g. `npm test -- --test-name-pattern=hosts` or a file path.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// Keep in step with test/helpers/database.ts, test/helpers/browser.ts and test/helpers/prometheus.ts.
const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
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

/** One line per backing service, so a green run says what it could not exercise. */
async function reportServices() {
  const database = process.env.HOPLINK_TEST_DATABASE ?? 'pglite';
  const postgresHost = new URL(POSTGRES_URL).host;
  const postgres = await postgresAnswers();
  console.log(`PostgreSQL at ${postgresHost}: ${postgres ? 'available' : SKIPPED}`);
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

await reportServices();
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
    // Files run side by side, one per core and at least two: most of a file's time is spent
    // waiting on the servers, workers and databases it starts. `-- --test-concurrency=1` runs
    // them one at a time.
    `--test-concurrency=${Math.max(2, availableParallelism())}`,
    ...flags,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, ...pgliteTemplate(), NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
