import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` until it holds; fails naming `what` after `ms`. The one way tests wait for
 * what has no event to await: a row, a log line, a process's state.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
