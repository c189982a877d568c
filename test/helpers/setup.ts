/**
 * Preloaded into every test process by scripts/test.mjs (`--import`). A test fails when the
 * code under it wrote to console.error or console.warn, or when an application log collected by
 * a LogCollector gained an error line the test did not announce with `logs.expectErrors()`:
 * an error nobody looks at is how a regression hides in a green suite.
 */
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterEach } from 'node:test';
import { format } from 'node:util';
import { unexpectedErrorLines } from './log-collector.ts';

/**
 * Node's own notice that `mock.timers` is experimental (Node 20 and 22), printed through
 * console.error the first time a test mocks timers: the runtime talking about the test, not the
 * code under test.
 */
const RUNTIME_NOTICES = [
  /^\(node:\d+\) ExperimentalWarning: The MockTimers API is an experimental/,
];

const consoleLines: string[] = [];
for (const level of ['error', 'warn'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    const line = format(...args);
    if (!RUNTIME_NOTICES.some((notice) => notice.test(line))) {
      consoleLines.push(`console.${level}: ${line}`);
    }
    original(...args);
  };
}

afterEach(() => {
  const problems = [...consoleLines.splice(0), ...unexpectedErrorLines()];
  if (problems.length > 0) {
    throw new Error(`unexpected errors while the test ran:\n${problems.join('\n')}`);
  }
});

/**
 * How long this test process ran, for scripts/test.mjs to start the longest files first next
 * time: one `file<TAB>seconds` line, appended (small appends do not interleave).
 */
const timings = process.env.HOPLINK_TEST_TIMINGS;
const testFile = process.argv[1];
if (timings && testFile) {
  process.on('exit', () => {
    const seconds = process.uptime().toFixed(1);
    appendFileSync(timings, `${relative(process.cwd(), testFile)}\t${seconds}\n`);
  });
}
