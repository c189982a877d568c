// The server as one ESM bundle per entry, dependencies left in node_modules: what `npm run build`
// ships in dist/, and what scripts/test.mjs starts for the tests that spawn `hoplink` (starting
// a bundle costs half the CPU of loading the sources through tsx).
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** Replaces `outdir` with a fresh bundle of src/main.ts and the migrations it applies. */
export async function buildServerBundle(outdir) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { main: 'src/main.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    // The oldest line that still runs it (see README): 20 until the CI machine moves to 22.
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  // The migrator reads its SQL files beside the code that runs it (src/db/ or the bundle's folder).
  cpSync('src/db/migrations', join(outdir, 'migrations'), { recursive: true });
  return join(outdir, 'main.js');
}
