import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, brotliCompressSync, gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import {
  ASSET_NAMES,
  isAssetName,
  isCompressible,
  MANIFEST_FILE,
  type AssetManifest,
  type AssetName,
} from './asset-manifest.ts';

// esbuild is a development dependency: only `hoplink build` and the development server load this
// module; production serves what the build wrote.

/** Browsers the bundle targets: evergreen releases from 2022 on. */
const TARGETS = ['es2020', 'chrome105', 'edge105', 'firefox104', 'safari15.4'];

/** The `assets/` source folder, found from this file whether it runs from src/ or a dist/ chunk. */
export function assetSourceDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'assets');
    if (existsSync(join(candidate, 'app.css')) && existsSync(join(dir, 'package.json'))) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the assets/ folder above ' + import.meta.url);
    dir = parent;
  }
}

/** The newest modification time among the asset sources: a change means a rebuild. */
export function sourceStamp(sourceDir = assetSourceDir()): number {
  return readdirSync(sourceDir).reduce(
    (latest, entry) => Math.max(latest, statSync(join(sourceDir, entry)).mtimeMs),
    0,
  );
}

export interface BundleOptions {
  /** Minified without source maps for production; readable with inline maps for development. */
  readonly minify: boolean;
  readonly sourceDir?: string;
}

/** Bundles the browser sources in memory: one output per logical asset name. */
export function bundleAssets({
  minify,
  sourceDir = assetSourceDir(),
}: BundleOptions): Map<AssetName, Buffer> {
  const result = buildSync({
    entryPoints: [
      { in: join(sourceDir, 'app.css'), out: 'app' },
      { in: join(sourceDir, 'app.ts'), out: 'app' },
      { in: join(sourceDir, 'theme.ts'), out: 'theme' },
    ],
    outdir: '/virtual',
    write: false,
    bundle: true,
    format: 'iife',
    minify,
    sourcemap: minify ? false : 'inline',
    target: TARGETS,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const outputs = new Map<AssetName, Buffer>();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    if (isAssetName(name)) outputs.set(name, Buffer.from(file.contents));
  }
  outputs.set('favicon.svg', readFileSync(join(sourceDir, 'favicon.svg')));
  for (const name of ASSET_NAMES) {
    if (!outputs.has(name)) throw new Error(`the asset build produced no ${name}`);
  }
  return outputs;
}

/** `app.css` + contents → `app.3f2a1b9c0d.css`: the name changes exactly when the bytes do. */
export function hashedName(name: string, contents: Uint8Array): string {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 10);
  const extension = extname(name);
  return `${name.slice(0, -extension.length)}.${hash}${extension}`;
}

export interface CompressedVariants {
  readonly gzip: Buffer;
  readonly br: Buffer;
}

/** Maximum compression: this runs once per build, and every visitor downloads the result. */
export function compress(contents: Uint8Array): CompressedVariants {
  return {
    gzip: gzipSync(contents, { level: constants.Z_BEST_COMPRESSION }),
    br: brotliCompressSync(contents, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: contents.byteLength,
      },
    }),
  };
}

export interface WrittenAsset {
  readonly name: AssetName;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes?: number;
  readonly brBytes?: number;
}

export interface BuildResult {
  readonly outDir: string;
  readonly manifest: AssetManifest;
  readonly assets: readonly WrittenAsset[];
}

function previousManifest(outDir: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(join(outDir, MANIFEST_FILE), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * Builds the production assets into `outDir`: minified, content-hashed names, `.gz` and `.br`
 * siblings for text formats, and `manifest.json` written last so a reader never sees a manifest
 * naming files that are not there yet. Files of the previous build are removed.
 */
export function writeAssets(outDir: string, sourceDir = assetSourceDir()): BuildResult {
  const root = resolve(outDir);
  mkdirSync(root, { recursive: true });
  const stale = new Set(
    Object.values(previousManifest(root)).filter(
      (file): file is string => typeof file === 'string' && !file.includes('/'),
    ),
  );
  const manifest: Partial<Record<AssetName, string>> = {};
  const assets: WrittenAsset[] = [];
  for (const [name, contents] of bundleAssets({ minify: true, sourceDir })) {
    const file = hashedName(name, contents);
    writeFileSync(join(root, file), contents);
    stale.delete(file);
    manifest[name] = file;
    if (isCompressible(file)) {
      const { gzip, br } = compress(contents);
      writeFileSync(join(root, `${file}.gz`), gzip);
      writeFileSync(join(root, `${file}.br`), br);
      assets.push({
        name,
        file,
        bytes: contents.byteLength,
        gzipBytes: gzip.byteLength,
        brBytes: br.byteLength,
      });
    } else {
      assets.push({ name, file, bytes: contents.byteLength });
    }
  }
  const temporary = join(root, `.${MANIFEST_FILE}.${process.pid}`);
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temporary, join(root, MANIFEST_FILE));
  for (const file of stale) {
    for (const suffix of ['', '.gz', '.br']) rmSync(join(root, file + suffix), { force: true });
  }
  return { outDir: root, manifest: manifest as AssetManifest, assets };
}
