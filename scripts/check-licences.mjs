// `npm run licences [-- <project dir>]`: fails when a runtime dependency's licence is not on the
// allowlist below (decision 0017). Reads package-lock.json (v2/v3 `packages`): every entry that
// `npm ci --omit=dev` may install, which is every entry not marked `dev`, optional platform
// binaries included. The licence is the one npm recorded in the lockfile, else the installed
// package.json's. Prints one line per offender (name@version licence path) and exits 1; otherwise
// one summary line. Plain Node, no dependencies, so it runs before anything is installed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * SPDX ids a runtime dependency may carry, compared case-insensitively. Each is permissive: it
 * lets us ship Hoplink under MIT without passing on conditions beyond keeping notices.
 */
const ALLOWED = new Set(
  [
    'MIT',
    'MIT-0', // MIT without even the notice condition: nodemailer
    'ISC',
    'BSD-2-Clause',
    'BSD-3-Clause',
    'Apache-2.0',
    '0BSD', // public-domain-like BSD: tslib
    'BlueOak-1.0.0', // a modern permissive licence: lru-cache and the rest of isaacs' packages
    'Unlicense', // a public-domain dedication: isbot
    'CC0-1.0', // a public-domain dedication, common for data packages
  ].map((id) => id.toLowerCase()),
);

/**
 * Whether an SPDX expression is allowed: `A OR B` if either side is, `A AND B` if both are,
 * `A WITH exception` if A is (an exception only adds permissions), `A+` as A. Anything that does
 * not parse (`SEE LICENSE IN …`, `UNLICENSED`, a missing licence) is not allowed.
 */
function allowedExpression(expression) {
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let at = 0;
  const peek = () => tokens[at]?.toUpperCase();
  function disjunction() {
    let allowed = conjunction();
    while (peek() === 'OR') {
      at++;
      allowed = conjunction() || allowed;
    }
    return allowed;
  }
  function conjunction() {
    let allowed = term();
    while (peek() === 'AND') {
      at++;
      allowed = term() && allowed;
    }
    return allowed;
  }
  function term() {
    const token = tokens[at++];
    if (token === undefined) throw new Error('unexpected end');
    if (token === '(') {
      const allowed = disjunction();
      if (tokens[at++] !== ')') throw new Error('missing )');
      return allowed;
    }
    if (['AND', 'OR', 'WITH', ')'].includes(token.toUpperCase())) throw new Error(token);
    if (peek() === 'WITH') at += 2;
    return ALLOWED.has(token.replace(/\+$/, '').toLowerCase());
  }
  try {
    const allowed = disjunction();
    return at === tokens.length && allowed;
  } catch {
    return false;
  }
}

/** A package.json's licence as one SPDX expression; old `licenses` arrays meant a choice. */
function licenceOf(manifest) {
  const { license, licenses } = manifest;
  if (typeof license === 'string') return license;
  if (license && typeof license.type === 'string') return license.type;
  if (Array.isArray(licenses) && licenses.length > 0) {
    return licenses.map((entry) => (typeof entry === 'string' ? entry : entry?.type)).join(' OR ');
  }
  return null;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

const root = process.argv[2] ?? join(fileURLToPath(import.meta.url), '..', '..');
const lockPath = join(root, 'package-lock.json');
if (!existsSync(lockPath)) {
  console.error(`check-licences: no package-lock.json in ${root}`);
  process.exit(2);
}
const lock = readJson(lockPath);
if (!lock.packages || typeof lock.packages !== 'object') {
  console.error(`check-licences: ${lockPath} has no "packages" (lockfile v2 or v3 needed)`);
  process.exit(2);
}

const counts = new Map();
const offenders = [];
let total = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  // '' is the project itself; a link's target has its own entry.
  if (path === '' || entry.dev || entry.link) continue;
  const manifestPath = join(root, path, 'package.json');
  const manifest = existsSync(manifestPath) ? readJson(manifestPath) : {};
  const name = entry.name ?? manifest.name ?? path.slice(path.lastIndexOf('node_modules/') + 13);
  const version = entry.version ?? manifest.version ?? '?';
  const licence = entry.license ?? licenceOf(manifest) ?? 'UNKNOWN';
  total++;
  counts.set(licence, (counts.get(licence) ?? 0) + 1);
  if (!allowedExpression(licence)) offenders.push(`${name}@${version} ${licence} ${path}`);
}

if (offenders.length > 0) {
  for (const line of offenders) console.error(line);
  console.error(
    `check-licences: ${offenders.length} of ${total} runtime packages have a licence outside the allowlist in scripts/check-licences.mjs`,
  );
  process.exit(1);
}
const summary = [...counts]
  .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  .map(([licence, count]) => `${licence} ${count}`)
  .join(', ');
console.log(`check-licences: ${total} runtime packages, all allowed (${summary})`);
