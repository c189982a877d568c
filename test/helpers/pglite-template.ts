/**
 * A migrated PGlite data directory, dumped once per set of migrations and loaded by every test
 * process that wants an embedded database: PGlite runs initdb on each fresh start, seconds of
 * CPU per test file, while loading a dump takes a fraction of that.
 *
 * `node --import tsx test/helpers/pglite-template.ts` builds the dump if it is missing and prints
 * its path; scripts/test.mjs passes that path on as HOPLINK_TEST_PGLITE_TEMPLATE. Without it,
 * tests start PGlite from scratch and migrate, as before.
 *
 * The migrated directory itself is kept beside the dump (`<dump>.d`): a `hoplink serve` started
 * by a test on the embedded database gets a copy as its DATA_DIR/db (spawn-server.ts), which
 * spares the child its initdb. Tests of a first start on an empty DATA_DIR set their own.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '#src/db/client.ts';
import { applyMigrations } from '#src/db/migrator.ts';

const MIGRATIONS = fileURLToPath(new URL('../../src/db/migrations', import.meta.url));

/** Changes whenever a migration or the PGlite release does: a stale dump is never loaded. */
function templatePath(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(entry.name).update(readFileSync(path));
    }
  };
  walk(MIGRATIONS);
  // Not an import: the package does not export its package.json.
  hash.update(
    readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)),
  );
  return join(tmpdir(), `hoplink-test-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
}

/** Builds the dump unless it exists; returns its path. */
export async function ensurePgliteTemplate(): Promise<string> {
  const path = templatePath();
  if (existsSync(path) && existsSync(`${path}.d`)) return path;
  // Migrated the way the app does it, on disk; then dumped by PGlite itself.
  const dataDir = mkdtempSync(join(tmpdir(), 'hoplink-pglite-template-'));
  try {
    const handle = await openDatabase({ kind: 'pglite', dataDir });
    await applyMigrations(handle);
    await handle.close();
    const client = new PGlite(dataDir);
    await client.waitReady;
    const dump = await client.dumpDataDir('none');
    await client.close();
    const partial = `${path}.${String(process.pid)}`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, path); // atomic: a concurrent builder never sees half a file
    rmSync(`${path}.d`, { recursive: true, force: true });
    renameSync(dataDir, `${path}.d`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return path;
}

/**
 * A fresh DATA_DIR for a `hoplink` process a test starts: its embedded database is a copy of the
 * migrated template when there is one (no initdb in the child), empty otherwise.
 */
export function seededDataDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  seedDatabase(dir);
  return dir;
}

/** Copies the migrated template into `dataDir`/db, when there is one; otherwise does nothing. */
export function seedDatabase(dataDir: string): void {
  const template = pgliteTemplateDirectory();
  if (template) cpSync(template, join(dataDir, 'db'), { recursive: true });
}

/** The migrated data directory beside the dump, when the runner named one and it is there. */
export function pgliteTemplateDirectory(): string | null {
  const path = process.env.HOPLINK_TEST_PGLITE_TEMPLATE;
  return path && existsSync(`${path}.d`) ? `${path}.d` : null;
}

/** The dump named by HOPLINK_TEST_PGLITE_TEMPLATE, if any (read once per test process). */
let loaded: Blob | null | undefined;
export function pgliteTemplate(): Blob | null {
  if (loaded !== undefined) return loaded;
  const path = process.env.HOPLINK_TEST_PGLITE_TEMPLATE;
  loaded = path && existsSync(path) ? new Blob([readFileSync(path)]) : null;
  return loaded;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${await ensurePgliteTemplate()}\n`);
}
