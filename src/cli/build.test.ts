import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { runInProcess } from '#test/helpers/cli.ts';

const workspace = mkdtempSync(join(tmpdir(), 'hoplink-build-'));
after(() => {
  rmSync(workspace, { recursive: true, force: true });
});

/** `hoplink build` from a fresh directory with exactly `env` (no .env file, no shell variables). */
async function build(args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(workspace, 'cwd-'));
  const run = await runInProcess(['build', ...args], { env, cwd });
  return { ...run, cwd };
}

function readManifest(dir: string): Record<string, string> {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, string>;
}

describe('hoplink build', () => {
  test('with an empty environment: hashed names, a manifest, and .gz/.br of the same bytes', async () => {
    const out = join(workspace, 'empty-env');
    const result = await build(['--out', out]);
    assert.equal(result.code, 0, result.stderr);
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

  test('reads no settings: a production profile with nothing configured still builds', async () => {
    // `serve` refuses this environment (no SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS…).
    const out = join(workspace, 'production');
    const result = await build(['--out', out], { NODE_ENV: 'production', SECRET_KEY: 'weak' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.ok(existsSync(join(out, 'manifest.json')));
  });

  test('defaults to dist/static under the working directory', async () => {
    const result = await build([]);
    assert.equal(result.code, 0, result.stderr);
    const manifest = readManifest(join(result.cwd, 'dist/static'));
    assert.ok(existsSync(join(result.cwd, 'dist/static', manifest['app.js']!)));
  });

  test('the same sources give the same names; files of an older build are removed', async () => {
    const out = join(workspace, 'rebuild');
    assert.equal((await build(['--out', out])).code, 0);
    const first = readManifest(out);
    // Pretend an older build left its files behind, named by the manifest.
    const old = 'app.0123456789.css';
    for (const suffix of ['', '.gz', '.br']) writeFileSync(join(out, old + suffix), 'old');
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...first, 'app.css': old }));
    writeFileSync(join(out, 'unrelated.txt'), 'not ours');

    assert.equal((await build(['--out', out])).code, 0);
    assert.deepEqual(readManifest(out), first);
    for (const suffix of ['', '.gz', '.br']) assert.ok(!existsSync(join(out, old + suffix)));
    assert.ok(existsSync(join(out, first['app.css']!)), 'the current stylesheet stays');
    assert.ok(existsSync(join(out, 'unrelated.txt')), 'files it did not write are left alone');
  });

  test('an unknown option is a usage error (exit 2)', async () => {
    const result = await build(['--outdir', 'x']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /outdir/);
  });
});
