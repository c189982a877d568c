import { rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where `hoplink worker` proves it is alive: the worker has no HTTP port, so container health
 * checks and Kubernetes exec probes look at how recently this file was touched. It lives in the
 * temporary directory (a tmpfs or emptyDir when the root filesystem is read-only).
 */
export const WORKER_HEARTBEAT_FILE = join(tmpdir(), 'hoplink-worker.heartbeat');

/** How often the worker touches its heartbeat file. */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** A heartbeat older than this means the worker's event loop is stuck or the process is gone. */
export const HEARTBEAT_STALE_MS = 30_000;

export interface Heartbeat {
  /** Stops touching the file and removes it: a stopped worker is not a live one. */
  readonly stop: () => void;
}

/**
 * Touches `path` now and every `intervalMs` from the event loop, so a loop blocked for longer
 * than HEARTBEAT_STALE_MS shows as stale. It says nothing about Redis: liveness must not fail
 * (and restart every worker at once) because a dependency is down.
 */
export function startHeartbeat(
  path: string = WORKER_HEARTBEAT_FILE,
  intervalMs: number = HEARTBEAT_INTERVAL_MS,
): Heartbeat {
  writeFileSync(path, `${process.pid}\n`);
  const timer = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // Removed from under us (a tmp cleaner): write it again.
      writeFileSync(path, `${process.pid}\n`);
    }
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      rmSync(path, { force: true });
    },
  };
}

/** Milliseconds since the heartbeat file was last touched, or null when there is none. */
export function heartbeatAge(
  path: string = WORKER_HEARTBEAT_FILE,
  now = Date.now(),
): number | null {
  try {
    return now - statSync(path).mtimeMs;
  } catch {
    return null;
  }
}
