// A test reporter that lists the slowest test files when the run ends, so the next contributor
// sees where the suite's time goes. Used beside the spec reporter by scripts/test.mjs.
// A file's time is the sum of its top-level tests and suites (hooks included), as the runner
// measured them; starting its process and importing its modules come on top.
import { relative } from 'node:path';

const SHOWN = 12;

export default async function* slowestFiles(source) {
  const totals = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, nesting, details } = event.data;
    if (!file || nesting !== 0) continue;
    totals.set(file, (totals.get(file) ?? 0) + (details?.duration_ms ?? 0));
  }
  const rows = [...totals.entries()]
    .map(([file, ms]) => ({ file: relative(process.cwd(), file), ms }))
    .sort((a, b) => b.ms - a.ms);
  if (rows.length < 2) return;
  const total = rows.reduce((sum, row) => sum + row.ms, 0);
  yield `\nslowest test files (of ${rows.length}; ${(total / 1000).toFixed(0)} s of tests in all):\n`;
  for (const row of rows.slice(0, SHOWN)) {
    yield `${(row.ms / 1000).toFixed(1).padStart(7)} s  ${row.file}\n`;
  }
}
