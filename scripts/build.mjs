// Compiles the server into dist/ (one ESM bundle per entry, dependencies left in node_modules).
// Needs no settings or secrets: building is a separate phase from running.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });

await build({
  entryPoints: { main: 'src/main.ts' },
  outdir: 'dist',
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

// The migrator reads its SQL files beside the code that runs it (src/db/ or dist/).
cpSync('src/db/migrations', 'dist/migrations', { recursive: true });

// The browser assets, built by the bundle just made (`hoplink build`): dist/static with hashed
// names, manifest.json and .gz/.br siblings. Running the bundle also proves it starts.
const assets = spawnSync(process.execPath, ['dist/main.js', 'build', '--out', 'dist/static'], {
  stdio: 'inherit',
});
if (assets.status !== 0) process.exit(assets.status ?? 1);
