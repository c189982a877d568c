import type { Logger } from '#src/lib/logger.ts';
import type { ClickSink, RawClick } from './click-sink.ts';

export interface BatchingClickSinkOptions {
  /** Parses and stores a batch; must be idempotent (a failed batch is retried whole). */
  readonly write: (clicks: readonly RawClick[]) => Promise<unknown>;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  /** A batch this size is written at once (CLICK_BATCH_SIZE; the setting holds the default). */
  readonly maxBatch: number;
  /**
   * A click waits at most this long before being written (CLICK_FLUSH_INTERVAL): the clicks a
   * hard crash can lose (a graceful shutdown flushes them).
   */
  readonly flushIntervalMs: number;
  /** While the database is unreachable clicks wait in memory up to this many; the oldest go first. Default 10 000. */
  readonly maxBuffered?: number;
}

export interface BatchingClickSink extends ClickSink {
  /** Writes everything captured so far; resolves when done (or logged as failed and kept). */
  flush(): Promise<void>;
  /** Flushes, then drops further clicks; for graceful shutdown, before the database closes. */
  close(): Promise<void>;
  /** Clicks captured and not yet written. */
  readonly pending: number;
  /** Clicks taken in since the sink was made (for the metrics). */
  readonly captured: number;
  /** Clicks given up since the sink was made: the buffer overflowed, or they came after close. */
  readonly dropped: number;
}

/** The in-process click pipeline: buffer in memory, write in batches by size and by time. */
export function createBatchingClickSink(options: BatchingClickSinkOptions): BatchingClickSink {
  const { maxBatch, flushIntervalMs } = options;
  const maxBuffered = Math.max(options.maxBuffered ?? 10_000, maxBatch);
  const { logger } = options;
  const buffer: RawClick[] = [];
  let timer: NodeJS.Timeout | null = null;
  let timerIsSoon = false;
  let draining: Promise<void> | null = null;
  let closed = false;
  // Since the last log line about it; `droppedTotal` never resets.
  let dropped = 0;
  let droppedTotal = 0;
  let captured = 0;
  // After a failed write, wait for the timer instead of retrying at the pace clicks arrive.
  let failing = false;

  function clearTimer(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  /** `soon`: on the next turn of the event loop, after the response, never inside it. */
  function schedule(soon: boolean): void {
    if (timer !== null && (timerIsSoon || !soon)) return;
    clearTimer();
    timerIsSoon = soon;
    timer = setTimeout(
      () => {
        timer = null;
        void flush();
      },
      soon ? 0 : flushIntervalMs,
    );
    timer.unref();
  }

  function keepWithinBound(): void {
    const excess = buffer.length - maxBuffered;
    if (excess > 0) {
      buffer.splice(0, excess);
      dropped += excess;
      droppedTotal += excess;
    }
  }

  async function drain(): Promise<void> {
    clearTimer();
    while (buffer.length > 0) {
      const batch = buffer.splice(0, maxBatch);
      try {
        await options.write(batch);
        failing = false;
      } catch (error) {
        failing = true;
        // Put it back and retry later: the insert is idempotent, so no click counts twice.
        buffer.unshift(...batch);
        keepWithinBound();
        logger.error({ err: error, pending: buffer.length }, 'writing clicks failed; will retry');
        if (!closed) schedule(false);
        break;
      }
    }
    if (dropped > 0) {
      logger.warn({ dropped }, 'clicks dropped: the click buffer was full');
      dropped = 0;
    }
  }

  async function flush(): Promise<void> {
    while (draining) await draining;
    if (buffer.length === 0) return;
    draining = drain();
    try {
      await draining;
    } finally {
      draining = null;
    }
  }

  return {
    capture(click) {
      try {
        if (closed) {
          if (dropped === 0) logger.warn('a click arrived after the click sink closed; dropped');
          dropped += 1;
          droppedTotal += 1;
          return;
        }
        captured += 1;
        buffer.push(click);
        keepWithinBound();
        schedule(buffer.length >= maxBatch && !failing);
      } catch {
        // Counting a click is never worth failing a redirect.
      }
    },
    flush,
    async close() {
      closed = true;
      clearTimer();
      await flush();
    },
    get pending() {
      return buffer.length;
    },
    get captured() {
      return captured;
    },
    get dropped() {
      return droppedTotal;
    },
  };
}
