import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  describeEachDatabase,
  type TestDatabase,
  createTestDatabase,
} from '#test/helpers/database.ts';
import { applyMigrations, loadMigrations, migrationStatus } from './migrator.ts';

/** A migrations folder with the real migrations plus one more, as drizzle-kit would write it. */
function folderWithExtraMigration(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hoplink-migrations-'));
  mkdirSync(join(dir, 'meta'));
  const real = loadMigrations();
  for (const migration of real) writeFileSync(join(dir, `${migration.name}.sql`), migration.sql);
  writeFileSync(join(dir, '9999_extra.sql'), 'CREATE TABLE extra_things (id integer PRIMARY KEY);');
  const journal = {
    entries: [...real.map((migration) => ({ tag: migration.name })), { tag: '9999_extra' }],
  };
  writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify(journal));
  return dir;
}

await describeEachDatabase('migrations', (backend) => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase(backend);
  });
  after(() => database.drop());

  test('a migrated database has nothing pending', async () => {
    const status = await migrationStatus(database.handle);
    assert.deepEqual(status.pending, []);
    assert.deepEqual(status.modified, []);
    assert.ok(status.applied.includes('0000_initial'));
  });

  test('a new migration is pending, applied once, then not again', async () => {
    const extra = loadMigrations(folderWithExtraMigration());
    const before = await migrationStatus(database.handle, extra);
    assert.deepEqual(
      before.pending.map((migration) => migration.name),
      ['9999_extra'],
    );
    assert.deepEqual(await applyMigrations(database.handle, undefined, extra), ['9999_extra']);
    assert.deepEqual(await applyMigrations(database.handle, undefined, extra), []);
    const rows = await database.handle.withConnection((connection) =>
      connection.query<{ count: string }>('select count(*)::text as count from extra_things'),
    );
    assert.equal(rows[0]?.count, '0');
  });

  test('a failing migration rolls back entirely and says which one failed', async () => {
    const dir = folderWithExtraMigration();
    writeFileSync(
      join(dir, '9999_extra.sql'),
      'CREATE TABLE half_done (id integer); SELECT no_such_function();',
    );
    const broken = loadMigrations(dir).map((migration) =>
      migration.name === '9999_extra' ? { ...migration, name: '9998_broken' } : migration,
    );
    await assert.rejects(
      applyMigrations(database.handle, undefined, broken),
      /migration 9998_broken failed/,
    );
    const rows = await database.handle.withConnection((connection) =>
      connection.query<{ present: boolean }>(
        "select to_regclass('half_done') is not null as present",
      ),
    );
    assert.equal(rows[0]?.present, false);
  });

  test('an applied migration whose file changed is reported as modified', async () => {
    const dir = folderWithExtraMigration();
    const path = join(dir, '0000_initial.sql');
    writeFileSync(path, `${readFileSync(path, 'utf8')}\n-- edited after the fact\n`);
    const status = await migrationStatus(database.handle, loadMigrations(dir));
    assert.deepEqual(status.modified, ['0000_initial']);
  });
});
