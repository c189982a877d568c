import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DatabaseHandle, RawConnection } from './client.ts';

/** Beside this module in src/, copied beside the bundle in dist/ by the build. */
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Any constant; it keeps two `migrate` runs against one PostgreSQL from interleaving. */
export const MIGRATION_LOCK_ID = 4_827_301;
/** What a run that waits for the lock says, once. */
export const MIGRATION_LOCK_WAIT = 'waiting for the migration lock held by another process…';

/** What applyMigrations tells as it goes, for progress lines; every hook is optional. */
export interface MigrationProgress {
  /** Another process holds the migration lock: this run waits for it. Called at most once. */
  readonly waiting?: () => void;
  readonly applying?: (name: string) => void;
  readonly applied?: (name: string, durationMs: number) => void;
}

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationStatus {
  readonly applied: readonly string[];
  readonly pending: readonly Migration[];
  /** Applied migrations whose file changed since: a sign someone edited history. */
  readonly modified: readonly string[];
}

/** The migrations drizzle-kit generated, in journal order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const journal = JSON.parse(readFileSync(`${dir}/meta/_journal.json`, 'utf8')) as {
    entries: { tag: string }[];
  };
  return journal.entries.map(({ tag }) => {
    const sql = readFileSync(`${dir}/${tag}.sql`, 'utf8');
    return { name: tag, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  duration_ms integer NOT NULL
)`;

async function readStatus(
  connection: RawConnection,
  migrations: readonly Migration[],
): Promise<MigrationStatus> {
  const exists = await connection.query<{ present: boolean }>(
    "select to_regclass('schema_migrations') is not null as present",
  );
  const rows = exists[0]?.present
    ? await connection.query<{ name: string; checksum: string }>(
        'select name, checksum from schema_migrations',
      )
    : [];
  const applied = new Map(rows.map((row) => [row.name, row.checksum]));
  return {
    applied: [...applied.keys()].sort(),
    pending: migrations.filter((migration) => !applied.has(migration.name)),
    modified: migrations
      .filter(
        (migration) =>
          applied.has(migration.name) && applied.get(migration.name) !== migration.checksum,
      )
      .map((migration) => migration.name),
  };
}

export function migrationStatus(
  handle: DatabaseHandle,
  migrations = loadMigrations(),
): Promise<MigrationStatus> {
  return handle.withConnection((connection) => readStatus(connection, migrations));
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock on PostgreSQL
 * so concurrent runs (two deploys at once) apply each migration exactly once.
 */
export function applyMigrations(
  handle: DatabaseHandle,
  progress: MigrationProgress = {},
  migrations = loadMigrations(),
): Promise<string[]> {
  return handle.withConnection(async (connection) => {
    if (handle.kind === 'postgres') await takeLock(connection, progress);
    try {
      await connection.exec(BOOKKEEPING);
      const { pending } = await readStatus(connection, migrations);
      const done: string[] = [];
      for (const migration of pending) {
        progress.applying?.(migration.name);
        const started = performance.now();
        await connection.exec('BEGIN');
        try {
          await connection.exec(migration.sql);
          const durationMs = Math.round(performance.now() - started);
          await connection.query(
            'insert into schema_migrations (name, checksum, duration_ms) values ($1, $2, $3)',
            [migration.name, migration.checksum, durationMs],
          );
          await connection.exec('COMMIT');
          progress.applied?.(migration.name, durationMs);
          done.push(migration.name);
        } catch (error) {
          await connection.exec('ROLLBACK');
          throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }
      return done;
    } finally {
      if (handle.kind === 'postgres')
        await connection.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  });
}

/** Takes the migration lock, saying once when another session holds it and this one waits. */
async function takeLock(connection: RawConnection, progress: MigrationProgress): Promise<void> {
  const [attempt] = await connection.query<{ locked: boolean }>(
    'select pg_try_advisory_lock($1) as locked',
    [MIGRATION_LOCK_ID],
  );
  if (attempt?.locked) return;
  progress.waiting?.();
  await connection.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
}
