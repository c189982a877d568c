import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const SCRIPT = new URL('../scripts/check-licences.mjs', import.meta.url).pathname;
const made: string[] = [];

after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function checkLicences(root?: string) {
  const result = spawnSync(process.execPath, root ? [SCRIPT, root] : [SCRIPT], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface FakePackage {
  /** Where npm put it, e.g. node_modules/a/node_modules/b. */
  readonly path: string;
  readonly version: string;
  /** What package-lock.json records; npm before 7 recorded no licence. */
  readonly lockLicence?: string;
  /** What its package.json says; absent means not installed here (another platform's binary). */
  readonly manifestLicence?: string;
  readonly dev?: boolean;
  readonly optional?: boolean;
}

/** A project directory with a v3 lockfile and, for installed packages, their package.json. */
function fakeProject(packages: readonly FakePackage[]): string {
  const root = mkdtempSync(join(tmpdir(), 'hoplink-licences-'));
  made.push(root);
  const lockPackages: Record<string, object> = { '': { name: 'fake', license: 'MIT' } };
  for (const pkg of packages) {
    const name = pkg.path.slice(pkg.path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    lockPackages[pkg.path] = {
      version: pkg.version,
      ...(pkg.lockLicence ? { license: pkg.lockLicence } : {}),
      ...(pkg.dev ? { dev: true } : {}),
      ...(pkg.optional ? { optional: true } : {}),
    };
    if (pkg.manifestLicence !== undefined) {
      mkdirSync(join(root, pkg.path), { recursive: true });
      writeFileSync(
        join(root, pkg.path, 'package.json'),
        JSON.stringify({ name, version: pkg.version, license: pkg.manifestLicence }),
      );
    }
  }
  writeFileSync(
    join(root, 'package-lock.json'),
    JSON.stringify({ name: 'fake', lockfileVersion: 3, requires: true, packages: lockPackages }),
  );
  return root;
}

describe('the licence allowlist check', () => {
  test("passes on this project's runtime dependencies", () => {
    const { status, stdout, stderr } = checkLicences();
    assert.equal(status, 0, stderr);
    assert.match(stdout, /^check-licences: \d+ runtime packages, all allowed \(MIT \d+/);
  });

  test('names each runtime package whose licence is not allowed, and fails', () => {
    const root = fakeProject([
      {
        path: 'node_modules/left-pad',
        version: '1.3.0',
        lockLicence: 'MIT',
        manifestLicence: 'MIT',
      },
      { path: 'node_modules/either', version: '2.1.0', lockLicence: '(MIT OR GPL-3.0-only)' },
      // An old lockfile without licences: the installed package.json says.
      { path: 'node_modules/ua-parser', version: '2.0.10', manifestLicence: 'AGPL-3.0-or-later' },
      {
        path: 'node_modules/a/node_modules/both',
        version: '1.0.0',
        lockLicence: '(MIT AND GPL-3.0-only)',
      },
      { path: 'node_modules/bundled', version: '0.1.0', manifestLicence: 'SEE LICENSE IN EULA' },
    ]);
    const { status, stdout, stderr } = checkLicences(root);
    assert.equal(status, 1, stdout);
    const lines = stderr.trim().split('\n');
    assert.deepEqual(lines.slice(0, -1), [
      'ua-parser@2.0.10 AGPL-3.0-or-later node_modules/ua-parser',
      'both@1.0.0 (MIT AND GPL-3.0-only) node_modules/a/node_modules/both',
      'bundled@0.1.0 SEE LICENSE IN EULA node_modules/bundled',
    ]);
    assert.match(lines.at(-1)!, /3 of 5 runtime packages/);
  });

  test('ignores development-only packages, counts optional ones', () => {
    const root = fakeProject([
      { path: 'node_modules/isbot', version: '5.2.3', lockLicence: 'Unlicense' },
      { path: 'node_modules/gpl-linter', version: '1.0.0', lockLicence: 'GPL-3.0-only', dev: true },
      {
        path: 'node_modules/@x/binary-darwin-arm64',
        version: '1.0.0',
        lockLicence: 'MIT',
        optional: true,
      },
    ]);
    const { status, stdout, stderr } = checkLicences(root);
    assert.equal(status, 0, stderr);
    assert.equal(stdout, 'check-licences: 2 runtime packages, all allowed (MIT 1, Unlicense 1)\n');
  });

  test('refuses a directory without a lockfile', () => {
    const root = mkdtempSync(join(tmpdir(), 'hoplink-licences-'));
    made.push(root);
    const { status, stderr } = checkLicences(root);
    assert.equal(status, 2);
    assert.match(stderr, /no package-lock\.json/);
  });
});
