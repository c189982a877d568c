import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const workspace = mkdtempSync(join(tmpdir(), 'hoplink-build-'));
after(() => {
  rmSync(workspace, { recursive: true, force: true });
});

/** `hoplink build` in a fresh directory with exactly `env` (no .env file, no shell variables). */
function build(args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(workspace, 'cwd-'));
  const result = spawnSync(process.execPath, ['--import', TSX, MAIN, 'build', ...args], {
    cwd,
    env,
    encoding: 'utf8',
  });
  return { ...result, cwd };
}

function readManifest(dir: string): Record<string, string> {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, string>;
}

describe('hoplink build', () => {
  test('with an empty environment: hashed names, a manifest, and .gz/.br of the same bytes', () => {
    const out = join(workspace, 'empty-env');
    const result = build(['--out', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Built 4 assets/);

    const manifest = readManifest(out);
    assert.deepEqual(Object.keys(manifest).sort(), [
      'app.css',
      'app.js',
      'favicon.svg',
      'theme.js',
    ]);
    for (const [logical, file] of Object.entries(manifest)) {
      const [stem, extension] = logical.split('.');
      assert.match(file, new RegExp(`^${stem}\\.[0-9a-f]{10}\\.${extension}$`), logical);
      const contents = readFileSync(join(out, file));
      const hash = createHash('sha256').update(contents).digest('hex').slice(0, 10);
      assert.equal(
        file,
        `${stem}.${hash}.${extension}`,
        `${logical}: the name is the content hash`,
      );
      assert.deepEqual(gunzipSync(readFileSync(join(out, `${file}.gz`))), contents, `${file}.gz`);
      assert.deepEqual(
        brotliDecompressSync(readFileSync(join(out, `${file}.br`))),
        contents,
        `${file}.br`,
      );
    }
    const css = readFileSync(join(out, manifest['app.css']!), 'utf8');
    assert.match(css, /--accent:/, 'the stylesheet is ours');
    assert.ok(!css.includes('\n  '), 'the stylesheet is minified');
    const theme = readFileSync(join(out, manifest['theme.js']!), 'utf8');
    assert.match(theme, /hoplink-theme/);
    assert.doesNotMatch(theme, /sourceMappingURL/, 'production bundles carry no inline source map');
  });

  test('reads no settings: a production profile with nothing configured still builds', () => {
    // `serve` refuses this environment (no SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS…).
    const out = join(workspace, 'production');
    const result = build(['--out', out], { NODE_ENV: 'production', SECRET_KEY: 'weak' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.ok(existsSync(join(out, 'manifest.json')));
  });

  test('defaults to dist/static under the working directory', () => {
    const result = build([]);
    assert.equal(result.status, 0, result.stderr);
    const manifest = readManifest(join(result.cwd, 'dist/static'));
    assert.ok(existsSync(join(result.cwd, 'dist/static', manifest['app.js']!)));
  });

  test('the same sources give the same names; files of an older build are removed', () => {
    const out = join(workspace, 'rebuild');
    assert.equal(build(['--out', out]).status, 0);
    const first = readManifest(out);
    // Pretend an older build left its files behind, named by the manifest.
    const old = 'app.0123456789.css';
    for (const suffix of ['', '.gz', '.br']) writeFileSync(join(out, old + suffix), 'old');
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...first, 'app.css': old }));
    writeFileSync(join(out, 'unrelated.txt'), 'not ours');

    assert.equal(build(['--out', out]).status, 0);
    assert.deepEqual(readManifest(out), first);
    for (const suffix of ['', '.gz', '.br']) assert.ok(!existsSync(join(out, old + suffix)));
    assert.ok(existsSync(join(out, first['app.css']!)), 'the current stylesheet stays');
    assert.ok(existsSync(join(out, 'unrelated.txt')), 'files it did not write are left alone');
  });

  test('an unknown option is a usage error (exit 2)', () => {
    const result = build(['--outdir', 'x']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /outdir/);
  });
});
