import { relative, resolve } from 'node:path';
import { writeAssets } from '#src/http/assets/asset-bundle.ts';
import { BUILD } from './commands.ts';
import { parseCommand, withUsage } from './common.ts';
import type { Invocation } from './invocation.ts';

/** Where `hoplink build` writes by default: the default STATIC_ROOT. */
export const DEFAULT_OUT_DIR = 'dist/static';

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/**
 * `hoplink build [--out DIR]`: bundles and minifies the browser assets into DIR with
 * content-hashed names, `.gz` and `.br` siblings and `manifest.json`. Reads no settings and no
 * secrets, so it runs on a build machine with an empty environment.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  const { cwd, stdout } = invocation;
  return withUsage(invocation.stderr, () => {
    const { values } = parseCommand(BUILD, argv);
    const result = writeAssets(resolve(cwd, values.out ?? DEFAULT_OUT_DIR));
    const lines = result.assets.map((asset) => {
      const sizes = [kib(asset.bytes)];
      if (asset.gzipBytes !== undefined) sizes.push(`gzip ${kib(asset.gzipBytes)}`);
      if (asset.brBytes !== undefined) sizes.push(`br ${kib(asset.brBytes)}`);
      return `  ${asset.name.padEnd(12)} → ${asset.file.padEnd(26)} ${sizes.join(', ')}`;
    });
    const fromHere = relative(cwd, result.outDir);
    const where = fromHere === '' ? '.' : fromHere.startsWith('..') ? result.outDir : fromHere;
    stdout.write(`Built ${result.assets.length} assets into ${where}/\n${lines.join('\n')}\n`);
    return 0;
  });
}
