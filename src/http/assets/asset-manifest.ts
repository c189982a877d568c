import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

/** The logical names views ask for; `hoplink build` maps each to a content-hashed file. */
export const ASSET_NAMES = ['app.css', 'app.js', 'theme.js', 'favicon.svg'] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

/** Logical name → hashed file name inside STATIC_ROOT, as written to `manifest.json`. */
export type AssetManifest = Readonly<Record<AssetName, string>>;

/** Resolves a logical asset name to the URL a page links. */
export type AssetUrl = (name: AssetName) => string;

export const MANIFEST_FILE = 'manifest.json';
export const STATIC_PREFIX = '/static/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};
// Text formats shrink well; images such as PNG are already compressed.
const COMPRESSIBLE = new Set(['.css', '.js', '.svg', '.json']);

export function isAssetName(name: string): name is AssetName {
  return (ASSET_NAMES as readonly string[]).includes(name);
}

export function contentTypeOf(fileName: string): string {
  return CONTENT_TYPES[extname(fileName)] ?? 'application/octet-stream';
}

export function isCompressible(fileName: string): boolean {
  return COMPRESSIBLE.has(extname(fileName));
}

/** Unhashed URLs, for assets built live (development) and for views rendered outside the app. */
export const liveAssetUrl: AssetUrl = (name) => `${STATIC_PREFIX}${name}`;

export function manifestAssetUrl(manifest: AssetManifest): AssetUrl {
  return (name) => `${STATIC_PREFIX}${manifest[name]}`;
}

/** The static root has no usable build: production must not serve pages with broken links. */
export class MissingAssetsError extends Error {}

// A hashed name is a single path segment; anything else in a manifest is refused, not served.
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Reads `STATIC_ROOT/manifest.json` and checks that it names every asset and that each file
 * exists. Throws MissingAssetsError saying what to run when the build is absent or incomplete.
 */
export function readManifest(staticRoot: string): AssetManifest {
  const root = resolve(staticRoot);
  const path = join(root, MANIFEST_FILE);
  const fix = 'run `hoplink build` (or `npm run build`), or point STATIC_ROOT at the built assets';
  if (!existsSync(path))
    throw new MissingAssetsError(`no built assets: ${path} does not exist; ${fix}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new MissingAssetsError(`${path} is not valid JSON (${String(error)}); ${fix}`);
  }
  const entries = (parsed ?? {}) as Record<string, unknown>;
  const manifest: Partial<Record<AssetName, string>> = {};
  for (const name of ASSET_NAMES) {
    const file = entries[name];
    if (typeof file !== 'string' || !FILE_NAME.test(file)) {
      throw new MissingAssetsError(`${path} does not name a file for ${name}; ${fix}`);
    }
    if (!existsSync(join(root, file))) {
      throw new MissingAssetsError(`${path} names ${file}, which is missing from ${root}; ${fix}`);
    }
    manifest[name] = file;
  }
  return manifest as AssetManifest;
}

/** The reason the built assets cannot be served, or null when they can (for `serve`'s pre-flight). */
export function builtAssetsProblem(staticRoot: string): string | null {
  try {
    readManifest(staticRoot);
    return null;
  } catch (error) {
    if (error instanceof MissingAssetsError) return error.message;
    throw error;
  }
}
