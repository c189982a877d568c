import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fp from 'fastify-plugin';
import {
  contentTypeOf,
  isAssetName,
  liveAssetUrl,
  manifestAssetUrl,
  MANIFEST_FILE,
  readManifest,
  type AssetUrl,
} from '#src/http/assets/asset-manifest.ts';
import { NotFoundError } from '#src/lib/errors.ts';
import type { Settings } from '#src/settings/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The URL of a static asset for views: hashed in production, stable in development. */
    assetUrl: AssetUrl;
  }
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
// Development: the browser must ask every time; the ETag makes an unchanged answer a 304.
const REVALIDATE = 'no-cache';

type Encoding = 'br' | 'gzip' | 'identity';

interface StaticFile {
  readonly type: string;
  readonly cacheControl: string;
  readonly etag?: string;
  readonly bodies: Readonly<Partial<Record<Encoding, Buffer>> & { identity: Buffer }>;
}

/** Where the served files come from: a build read at startup, or sources built on request. */
interface AssetSource {
  readonly url: AssetUrl;
  find(name: string): Promise<StaticFile | undefined>;
}

/**
 * Production (and tests pointing STATIC_ROOT at a build): reads the manifest and every file it
 * names once, at startup. Only names in the manifest are served, so no request path ever reaches
 * the file system (no traversal to guard).
 */
function prebuiltSource(staticRoot: string): AssetSource {
  const root = resolve(staticRoot);
  const manifest = readManifest(root);
  const files = new Map<string, StaticFile>();
  for (const file of Object.values(manifest)) {
    const read = (suffix: string) => {
      const path = join(root, file + suffix);
      return existsSync(path) ? readFileSync(path) : undefined;
    };
    const gzip = read('.gz');
    const br = read('.br');
    files.set(file, {
      type: contentTypeOf(file),
      cacheControl: IMMUTABLE,
      bodies: {
        identity: readFileSync(join(root, file)),
        ...(gzip ? { gzip } : {}),
        ...(br ? { br } : {}),
      },
    });
  }
  return { url: manifestAssetUrl(manifest), find: (name) => Promise.resolve(files.get(name)) };
}

/**
 * Development: assets keep their logical names (`/static/app.css`) and are rebuilt in memory with
 * esbuild when a file under assets/ changed since the last build, so an edit shows on reload with
 * no build step and no restart. esbuild is a development dependency, hence the lazy import.
 */
function liveSource(): AssetSource {
  let built: { stamp: number; files: Map<string, StaticFile> } | undefined;
  const current = async () => {
    const bundler = await import('#src/http/assets/asset-bundle.ts');
    const stamp = bundler.sourceStamp();
    if (built?.stamp !== stamp) {
      const files = new Map<string, StaticFile>();
      for (const [name, identity] of bundler.bundleAssets({ minify: false })) {
        const etag = `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`;
        files.set(name, {
          type: contentTypeOf(name),
          cacheControl: REVALIDATE,
          etag,
          bodies: { identity },
        });
      }
      built = { stamp, files };
    }
    return built.files;
  };
  return {
    url: liveAssetUrl,
    find: async (name) => (isAssetName(name) ? (await current()).get(name) : undefined),
  };
}

/**
 * Development builds live. Production requires a build and fails at startup without one, rather
 * than serving pages whose styles and scripts 404. Tests use a build when STATIC_ROOT holds one
 * (a test that builds into a temp dir) and build live otherwise, so page tests need no build step.
 */
export function chooseAssetSource(settings: Settings): AssetSource {
  if (settings.profile === 'development') return liveSource();
  if (
    settings.profile === 'test' &&
    !existsSync(join(resolve(settings.staticRoot), MANIFEST_FILE))
  ) {
    return liveSource();
  }
  return prebuiltSource(settings.staticRoot);
}

/** Parses Accept-Encoding into coding → quality (RFC 9110 §12.5.3). */
function acceptedCodings(header: string | undefined): Map<string, number> {
  const codings = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    if (coding === '') continue;
    const q = params.map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1]).find(Boolean);
    codings.set(coding === 'x-gzip' ? 'gzip' : coding, q === undefined ? 1 : Number(q));
  }
  return codings;
}

/**
 * The best encoding both sides have: highest quality first, then brotli over gzip over identity
 * (smallest first). Identity is the answer when nothing else is acceptable (rather than a 406).
 */
export function chooseEncoding(
  header: string | undefined,
  available: readonly Encoding[],
): Encoding {
  const codings = acceptedCodings(header);
  const wildcard = codings.get('*');
  // Identity stays acceptable when unlisted (RFC 9110), but only as the fallback: a listed
  // compression wins over it whatever its weight.
  const quality = (encoding: Encoding): number =>
    codings.get(encoding) ?? wildcard ?? (encoding === 'identity' ? Number.MIN_VALUE : 0);
  const preference: readonly Encoding[] = ['br', 'gzip', 'identity'];
  let best: Encoding = 'identity';
  let bestQuality = 0;
  for (const encoding of preference) {
    if (!available.includes(encoding)) continue;
    const q = quality(encoding);
    if (q > bestQuality) {
      best = encoding;
      bestQuality = q;
    }
  }
  return best;
}

/**
 * Serves `/static/<name>` and decorates the instance with `assetUrl` for views. The asset source
 * is chosen (and a production build read) when the plugin registers: a missing build stops the
 * server before it listens.
 */
export const staticFilesPlugin = fp<{ settings: Settings }>(
  (app, { settings }, done) => {
    const source = chooseAssetSource(settings);
    app.decorate('assetUrl', source.url);
    app.get<{ Params: { name: string } }>(
      '/static/:name',
      {
        schema: {
          params: {
            type: 'object',
            properties: { name: { type: 'string', maxLength: 200 } },
            required: ['name'],
          },
        },
      },
      async (request, reply) => {
        const file = await source.find(request.params.name);
        if (!file) throw new NotFoundError();
        void reply
          .header('cache-control', file.cacheControl)
          .header('vary', 'accept-encoding')
          .type(file.type);
        if (file.etag) {
          void reply.header('etag', file.etag);
          if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
        }
        const available = Object.keys(file.bodies) as Encoding[];
        const encoding = chooseEncoding(request.headers['accept-encoding'], available);
        if (encoding !== 'identity') void reply.header('content-encoding', encoding);
        return reply.send(file.bodies[encoding]);
      },
    );
    done();
  },
  { name: 'hoplink-static-files' },
);
