import { randomUUID } from 'node:crypto';
import type { Logger } from '#src/lib/logger.ts';
import type { RawClick } from './click-sink.ts';
import { ClickSpoolFullError, type ClickBatch, type ClickSpool } from './click-spool.ts';

export interface ClickDeliveryOptions {
  /** Hands a batch to the clicks queue (resolves once the queue holds it). */
  readonly send: (batch: ClickBatch) => Promise<void>;
  /** Where batches go while `send` fails; without one, a failure is the caller's to retry. */
  readonly spool?: ClickSpool;
  /** Errors no retry can fix (a batch the queue refuses): logged and dropped, never spooled. */
  readonly isPermanent?: (error: unknown) => boolean;
  readonly logger: Pick<Logger, 'warn' | 'info' | 'error'>;
  /** A send not done by then counts as failed (the queue may still take it: batches are idempotent). Default 2 s. */
  readonly sendTimeoutMs?: number;
  /** How often a spool with batches is replayed. Default 2 s. */
  readonly replayIntervalMs?: number;
}

export interface ClickDelivery {
  /** Sends one batch, or spools it; rejects only when it could do neither (the sink keeps it). */
  deliver(clicks: readonly RawClick[]): Promise<void>;
  /** Starts replaying spooled batches (this process's and dead processes') in the background. */
  start(): void;
  /** Stops replaying; the spool keeps what it holds for the next process. */
  close(): Promise<void>;
  /** Clicks handled since the delivery was made, and the spool's size now: for the metrics. */
  stats(): ClickDeliveryStats;
}

export interface ClickDeliveryStats {
  /** Sent to the queue directly. */
  readonly queued: number;
  /** Appended to the spool (Redis unreachable). */
  readonly spooled: number;
  /** Sent to the queue from the spool. */
  readonly replayed: number;
  /** Refused by the queue for good (a batch no retry can fix). */
  readonly dropped: number;
  /** Bytes this process's spool files hold. */
  readonly spoolBytes: number;
}

class SendTimeoutError extends Error {}

/**
 * Gets click batches to the queue whatever Redis is doing: sent when it answers, appended to the
 * spool while it does not (with one log line when the outage starts and one when it ends), and
 * replayed from the spool once it answers again.
 */
export function createClickDelivery(options: ClickDeliveryOptions): ClickDelivery {
  const { logger, spool } = options;
  const sendTimeoutMs = options.sendTimeoutMs ?? 2_000;
  const replayIntervalMs = options.replayIntervalMs ?? 2_000;
  const isPermanent = options.isPermanent ?? (() => false);
  // While true, batches go straight to the spool: no request-rate probing of a dead Redis.
  let outage = false;
  let timer: NodeJS.Timeout | null = null;
  let replaying: Promise<void> | null = null;
  let closed = false;
  let queued = 0;
  let spooled = 0;
  let replayed = 0;
  let dropped = 0;

  async function sendWithTimeout(batch: ClickBatch): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        options.send(batch),
        new Promise<never>((_resolve, reject) => {
          timeout = setTimeout(() => {
            reject(
              new SendTimeoutError(
                `the clicks queue did not answer within ${String(sendTimeoutMs)} ms`,
              ),
            );
          }, sendTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timeout);
    }
  }

  function scheduleReplay(): void {
    if (closed || timer !== null || !spool) return;
    timer = setTimeout(() => {
      timer = null;
      void replay();
    }, replayIntervalMs);
    timer.unref();
  }

  function replay(): Promise<void> {
    if (!spool) return Promise.resolve();
    replaying ??= (async () => {
      try {
        const clicks = await spool.replay(async (batch) => {
          try {
            await sendWithTimeout(batch);
            replayed += batch.clicks.length;
          } catch (error) {
            if (!isPermanent(error)) throw error;
            dropped += batch.clicks.length;
            logger.error(
              { err: error, batchId: batch.batchId, clicks: batch.clicks.length },
              'the clicks queue refused a spooled batch; dropped',
            );
          }
        });
        if (outage) {
          logger.info(
            { clicks },
            `clicks queue reachable again: ${String(clicks)} spooled click(s) sent`,
          );
        } else if (clicks > 0) {
          logger.info({ clicks }, `${String(clicks)} spooled click(s) sent to the clicks queue`);
        }
        outage = false;
      } catch (error) {
        if (!outage && !(error instanceof SendTimeoutError)) {
          logger.warn({ err: error }, 'replaying the click spool failed; will retry');
        }
        outage = true;
      } finally {
        replaying = null;
        // Batches appended while the replay ran (or left by its failure) wait for the next one.
        if (spool.hasBatches) scheduleReplay();
      }
    })();
    return replaying;
  }

  return {
    async deliver(clicks) {
      const batch: ClickBatch = { batchId: randomUUID(), clicks };
      if (!outage) {
        try {
          await sendWithTimeout(batch);
          queued += clicks.length;
          return;
        } catch (error) {
          if (isPermanent(error)) {
            dropped += clicks.length;
            logger.error(
              { err: error, clicks: clicks.length },
              'the clicks queue refused a batch; dropped',
            );
            return;
          }
          if (!spool) throw error;
          outage = true;
          logger.warn(
            { err: error },
            'clicks queue unreachable: spooling click batches to disk until it answers',
          );
        }
      }
      if (!spool) throw new Error('the clicks queue is unreachable');
      try {
        await spool.append(batch);
        spooled += clicks.length;
      } catch (error) {
        if (error instanceof ClickSpoolFullError) logger.error({ err: error }, 'click spool full');
        throw error;
      }
      scheduleReplay();
    },
    start() {
      // Files of processes that stopped during an outage are sent by whoever starts next.
      if (spool?.hasBatches) void replay();
    },
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await replaying;
      await spool?.close();
    },
    stats: () => ({ queued, spooled, replayed, dropped, spoolBytes: spool?.bytes ?? 0 }),
  };
}
