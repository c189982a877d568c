/**
 * Preloaded into every test process by scripts/test.mjs (`--import`). A test fails when the
 * code under it wrote to console.error or console.warn, or when an application log collected by
 * a LogCollector gained an error line the test did not announce with `logs.expectErrors()`:
 * an error nobody looks at is how a regression hides in a green suite.
 */
import { afterEach } from 'node:test';
import { format } from 'node:util';
import { unexpectedErrorLines } from './log-collector.ts';

const consoleLines: string[] = [];
for (const level of ['error', 'warn'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    consoleLines.push(`console.${level}: ${format(...args)}`);
    original(...args);
  };
}

afterEach(() => {
  const problems = [...consoleLines.splice(0), ...unexpectedErrorLines()];
  if (problems.length > 0) {
    throw new Error(`unexpected errors while the test ran:\n${problems.join('\n')}`);
  }
});
