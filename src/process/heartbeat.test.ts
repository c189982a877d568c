import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HEARTBEAT_STALE_MS, heartbeatAge, startHeartbeat } from './heartbeat.ts';

const directory = mkdtempSync(join(tmpdir(), 'hoplink-heartbeat-'));
after(() => {
  rmSync(directory, { recursive: true, force: true });
});

test('a heartbeat is fresh while it beats and gone once stopped', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const path = join(directory, 'beat');
  assert.equal(heartbeatAge(path), null, 'no file before the worker starts');
  const heartbeat = startHeartbeat(path, 20);
  try {
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    assert.ok((heartbeatAge(path) ?? 0) > HEARTBEAT_STALE_MS, 'an old touch reads as stale');
    // The interval touches it again, so a live event loop reads as fresh.
    t.mock.timers.tick(20);
    const age = heartbeatAge(path);
    assert.ok(age !== null && age < HEARTBEAT_STALE_MS, `fresh again, got ${String(age)} ms`);
  } finally {
    heartbeat.stop();
  }
  assert.equal(heartbeatAge(path), null, 'a stopped worker leaves no heartbeat');
});

test('a heartbeat file removed from under the worker is written again', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const path = join(directory, 'removed');
  const heartbeat = startHeartbeat(path, 20);
  try {
    rmSync(path);
    t.mock.timers.tick(20);
    assert.notEqual(heartbeatAge(path), null);
  } finally {
    heartbeat.stop();
  }
});
