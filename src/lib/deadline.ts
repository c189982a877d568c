import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Whether `work` settled within `ms`. A shutdown must end even when a dependency stops
 * answering: a Redis that accepts connections and never replies leaves every quit() waiting.
 * The work is not cancelled; the caller moves on (and the process exit ends it).
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    sleep(ms, false, { ref: false }),
  ]);
}
