// Compiles the server into dist/ (one ESM bundle per entry, dependencies left in node_modules).
// Needs no settings or secrets: building is a separate phase from running.
import { spawnSync } from 'node:child_process';
import { buildServerBundle } from './server-bundle.mjs';

await buildServerBundle('dist');

// The browser assets, built by the bundle just made (`hoplink build`): dist/static with hashed
// names, manifest.json and .gz/.br siblings. Running the bundle also proves it starts.
const assets = spawnSync(process.execPath, ['dist/main.js', 'build', '--out', 'dist/static'], {
  stdio: 'inherit',
});
if (assets.status !== 0) process.exit(assets.status ?? 1);
