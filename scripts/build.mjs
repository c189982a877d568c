// Compiles the server into dist/ (one ESM bundle per entry, dependencies left in node_modules).
// Needs no settings or secrets: building is a separate phase from running.
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
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

// The migrator reads its SQL files beside the code that runs it (src/db/ or dist/).
cpSync('src/db/migrations', 'dist/migrations', { recursive: true });
