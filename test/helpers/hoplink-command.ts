import { fileURLToPath } from 'node:url';

/**
 * What a test spawns to run `hoplink`: the server bundle scripts/test.mjs built for this run
 * (HOPLINK_TEST_BUILD, the way dist/ runs in production), or the sources through tsx when a test
 * file runs on its own. Starting the bundle costs about half the CPU, and the suite starts
 * dozens of servers and workers.
 */
export const HOPLINK_ENTRY =
  process.env.HOPLINK_TEST_BUILD ?? fileURLToPath(new URL('../../src/main.ts', import.meta.url));

// Absolute, because spawned processes run in temporary directories where `tsx` would not resolve.
const TSX = import.meta.resolve('tsx');

/** Node's arguments for `hoplink <args>`. */
export function hoplinkArgv(args: readonly string[]): string[] {
  const loader = HOPLINK_ENTRY.endsWith('.ts') ? ['--import', TSX] : [];
  return [...loader, HOPLINK_ENTRY, ...args];
}
