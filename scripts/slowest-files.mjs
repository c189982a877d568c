// A test reporter that lists the slowest test files when the run ends, so the next contributor
// sees where the suite's time goes. Used beside the spec reporter by scripts/test.mjs.
// A file's time runs from its first event to its last as they reach the runner: its tests plus
// whatever its suites set up between them (not the process start before its first test).
import { relative } from 'node:path';

const SHOWN = 12;

export default async function* slowestFiles(source) {
  const spans = new Map();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file) continue;
    const now = performance.now();
    const span = spans.get(file);
    if (span) span.last = now;
    else spans.set(file, { first: now, last: now });
  }
  const rows = [...spans.entries()]
    .map(([file, { first, last }]) => ({ file: relative(process.cwd(), file), ms: last - first }))
    .sort((a, b) => b.ms - a.ms);
  if (rows.length < 2) return;
  const total = rows.reduce((sum, row) => sum + row.ms, 0);
  yield `\nslowest test files (${rows.length} files, ${(total / 1000).toFixed(0)} s in all):\n`;
  for (const row of rows.slice(0, SHOWN)) {
    yield `${(row.ms / 1000).toFixed(1).padStart(7)} s  ${row.file}\n`;
  }
}
