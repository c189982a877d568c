import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '#src/db/client.ts';
import { applyMigrations } from '#src/db/migrator.ts';
import { pgliteTemplate } from './pglite-template.ts';

/** The server the production-path suites use; CI starts it (trust auth, database `test`). */
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

/** Whether PostgreSQL answers; asked once per test process. */
export function postgresReachable(): Promise<boolean> {
  // scripts/test.mjs asked once for the whole run; its header line says the same.
  const verdict = process.env.HOPLINK_TEST_POSTGRES;
  if (verdict === '1' || verdict === '0') return Promise.resolve(verdict === '1');
  reachable ??= (async () => {
    const client = new pg.Client({
      connectionString: POSTGRES_ADMIN_URL,
      // A server that is down refuses at once; this only bounds a slow answer.
      connectionTimeoutMillis: 10_000,
    });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

export type Backend = 'pglite' | 'postgres';

export interface TestDatabase {
  readonly handle: DatabaseHandle;
  readonly backend: Backend;
  /** For tests that start `serve` against the same database (postgres only). */
  readonly url: string | null;
  readonly drop: () => Promise<void>;
}

/**
 * A migrated, empty database: PGlite in memory, or a throwaway PostgreSQL database created for
 * this test file and dropped after it (so suites never see each other's rows).
 */
export async function createTestDatabase(
  backend: Backend,
  /** `migrate: false` leaves it empty, for a test that runs `hoplink migrate` itself. */
  { migrate = true }: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const template = migrate ? pgliteTemplate() : null;
    const handle = await openDatabase({
      kind: 'pglite',
      dataDir: null,
      ...(template ? { loadDataDir: template } : {}),
    });
    // The template is migrated already (see pglite-template.ts).
    if (migrate && !template) await applyMigrations(handle);
    return { handle, backend, url: null, drop: () => handle.close() };
  }
  const name = `hoplink_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ kind: 'postgres', url: url.toString(), poolMax: 5 });
  if (migrate) await applyMigrations(handle);
  return {
    handle,
    backend,
    url: url.toString(),
    drop: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

const SKIP_POSTGRES = `PostgreSQL is not reachable at ${new URL(POSTGRES_ADMIN_URL).host}: start it (see .ci/run) to run the production-path suite`;

/**
 * Declares a suite once per database backend: always on embedded PGlite, and on PostgreSQL when
 * it is reachable (skipped with the reason otherwise, so the summary says what did not run).
 */
export async function describeEachDatabase(
  name: string,
  body: (backend: Backend) => void,
): Promise<void> {
  const postgres = await postgresReachable();
  await describe(`${name} [pglite]`, () => {
    body('pglite');
  });
  await describe(`${name} [postgres]`, postgres ? {} : { skip: SKIP_POSTGRES }, () => {
    body('postgres');
  });
}
