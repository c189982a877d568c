import type { ClickWriter } from '#src/modules/analytics/index.ts';
import type { JobHandlers } from '#src/jobs/job-registry.ts';

/**
 * Parses a batch of raw clicks and stores it. Redelivery is harmless: the insert skips event ids
 * it already holds, so a batch retried after a crash mid-write counts each click once.
 */
export function recordClicks(writer: Pick<ClickWriter, 'write'>): JobHandlers['record-clicks'] {
  return async ({ clicks }) => {
    await writer.write(clicks);
  };
}
