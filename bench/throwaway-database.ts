import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { rawRows, type Database } from '#src/db/client.ts';
import { hashPassword } from '#src/modules/accounts/index.ts';
import { FIXTURE_PASSWORD, type UserFixture } from '#test/factories.ts';

/** The PostgreSQL server the benches use, as a role that may create and drop databases. */
export const BENCH_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on its own connection (CREATE/DROP DATABASE cannot run in a pool's tx). */
export async function adminQuery(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_ADMIN_URL });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

export interface ThrowawayDatabase {
  readonly name: string;
  /** Its connection URL: the admin URL with this database's name. */
  readonly url: string;
  /** Drops it, whoever is still connected. */
  drop(): Promise<void>;
}

/** An empty database of its own for one bench run, named `<prefix>_<random hex>`. */
export async function createThrowawayDatabase(prefix: string): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(BENCH_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

/**
 * An owner (who can log in with the fixtures' password) and `linkCount` links, written with the
 * first migration's columns only: benches that time a migration seed the database of the phase
 * before it, which lacks the columns that test/factories.ts writes today.
 */
export async function seedOwnerWithLinks(
  db: Database,
  linkCount: number,
): Promise<{ owner: UserFixture; linkIds: string[] }> {
  const suffix = randomBytes(6).toString('hex');
  const email = `bench-${suffix}@example.com`;
  const username = `bench_${suffix}`;
  const [owner] = await rawRows<{ id: string }>(
    db,
    sql`insert into users (email, username, password_hash)
        values (${email}, ${username}, ${await hashPassword(FIXTURE_PASSWORD)}) returning id`,
  );
  if (!owner) throw new Error('the owner insert returned nothing');
  const linkIds: string[] = [];
  for (let index = 0; index < linkCount; index++) {
    const [link] = await rawRows<{ id: string }>(
      db,
      sql`insert into links (owner_id, code, target_url)
          values (${owner.id}, ${`b${suffix}${String(index)}`}, 'https://example.com/') returning id`,
    );
    if (link) linkIds.push(link.id);
  }
  return { owner: { id: owner.id, email, username, password: FIXTURE_PASSWORD }, linkIds };
}
