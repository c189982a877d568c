import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import * as schema from './schema.ts';

export type Schema = typeof schema;
/** The Drizzle database, the same type whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A Drizzle transaction, accepted by repositories wherever they take a `Database`. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * The rows of a raw statement (Drizzle's `sql`), typed by the caller: node-postgres and PGlite
 * both answer with `rows`, which the driver-neutral Database type does not promise.
 */
export async function rawRows<T>(executor: Database | Transaction, query: SQL): Promise<T[]> {
  const result: unknown = await executor.execute(query);
  return (result as { rows: T[] }).rows;
}

/** One connection for work that must not hop between pooled connections (migrations, locks). */
export interface RawConnection {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: 'postgres' | 'pglite';
  /** For the startup line and logs; never contains a password. */
  readonly description: string;
  withConnection<T>(work: (connection: RawConnection) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseTarget =
  | { readonly kind: 'postgres'; readonly url: string; readonly poolMax: number }
  | {
      readonly kind: 'pglite';
      readonly dataDir: string | null;
      /** A data directory dumped by PGlite (dumpDataDir) to start from instead of initdb. */
      readonly loadDataDir?: Blob;
    };

/** Opens PostgreSQL (node-postgres pool) or embedded PGlite (a directory, or memory when null). */
export async function openDatabase(target: DatabaseTarget): Promise<DatabaseHandle> {
  return target.kind === 'postgres'
    ? openPostgres(target.url, target.poolMax)
    : openPglite(target.dataDir, target.loadDataDir);
}

function openPostgres(url: string, poolMax: number): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'hoplink',
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const parsed = new URL(url);
  return {
    db: drizzlePg({ client: pool, schema }),
    kind: 'postgres',
    description: `postgres ${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`,
    withConnection: async (work) => {
      const client = await pool.connect();
      try {
        return await work({
          exec: async (sql) => {
            await client.query(sql);
          },
          query: async <T>(sql: string, params?: unknown[]) =>
            (await client.query(sql, params)).rows as T[],
        });
      } finally {
        client.release();
      }
    },
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | null, loadDataDir?: Blob): Promise<DatabaseHandle> {
  const path = dataDir === null ? undefined : resolve(dataDir);
  if (path) mkdirSync(path, { recursive: true });
  const client = new PGlite({
    ...(path ? { dataDir: path } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
  });
  await client.waitReady;
  let closed = false;
  return {
    db: drizzlePglite({ client, schema }) as unknown as Database,
    kind: 'pglite',
    description: path ? `embedded ${path}` : 'embedded (in memory)',
    withConnection: (work) =>
      work({
        exec: async (sql) => {
          await client.exec(sql);
        },
        query: async <T>(sql: string, params?: unknown[]) =>
          (await client.query<T>(sql, params)).rows,
      }),
    ping: async () => {
      await client.query('select 1');
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
