import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAssets, type BuildResult } from '#src/http/assets/asset-bundle.ts';

let built: BuildResult | undefined;

/**
 * A production asset build in a temporary directory, made once per test process and removed at
 * exit: point STATIC_ROOT at `outDir` for anything running with hashed assets (production
 * refuses to start without them).
 */
export function builtAssets(): BuildResult {
  if (!built) {
    const directory = mkdtempSync(join(tmpdir(), 'hoplink-static-'));
    process.on('exit', () => {
      rmSync(directory, { recursive: true, force: true });
    });
    built = writeAssets(directory);
  }
  return built;
}
