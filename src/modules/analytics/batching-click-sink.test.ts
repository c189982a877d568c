import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { createBatchingClickSink } from './batching-click-sink.ts';
import type { RawClick } from './click-sink.ts';

const click = (n: number): RawClick => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  linkId: '0b6a1c52-3d0e-4f3c-9a53-8a7c1b6f2e10',
  clickedAt: 0,
  referrer: null,
  userAgent: null,
  ip: '127.0.0.1',
});

function recorder() {
  const batches: number[][] = [];
  const logged: string[] = [];
  let failing = false;
  let onWrite: () => void = () => undefined;
  return {
    batches,
    logged,
    /** Resolves after the next successful write. */
    nextWrite: () =>
      new Promise<void>((resolve) => {
        onWrite = resolve;
      }),
    fail: (value: boolean) => {
      failing = value;
    },
    write: (clicks: readonly RawClick[]) => {
      if (failing) return Promise.reject(new Error('database down'));
      batches.push(clicks.map((c) => Number(c.eventId.slice(-12))));
      onWrite();
      return Promise.resolve();
    },
    logger: {
      warn: (...args: unknown[]) => logged.push(`warn ${JSON.stringify(args)}`),
      error: (...args: unknown[]) => logged.push(`error ${JSON.stringify(args[1])}`),
    },
  };
}

describe('batching click sink', () => {
  // The sink's timers are unref'd (they must not keep a process alive); a server would.
  let keepAlive: NodeJS.Timeout;
  before(() => {
    keepAlive = setInterval(() => undefined, 60_000);
  });
  after(() => {
    clearInterval(keepAlive);
  });

  test('capture returns before anything is written; the interval flushes', async () => {
    const r = recorder();
    const sink = createBatchingClickSink({
      write: r.write,
      logger: r.logger as never,
      maxBatch: 500,
      flushIntervalMs: 40,
    });
    sink.capture(click(1));
    sink.capture(click(2));
    assert.deepEqual(r.batches, []);
    assert.equal(sink.pending, 2);
    // Timers fire in due order, so this one always runs before the sink's.
    await sleep(5);
    assert.deepEqual(r.batches, []);
    await r.nextWrite();
    assert.deepEqual(r.batches, [[1, 2]]);
    assert.equal(sink.pending, 0);
  });

  test('a full batch is written on the next turn, not inside capture', async () => {
    const r = recorder();
    const sink = createBatchingClickSink({
      write: r.write,
      logger: r.logger as never,
      maxBatch: 3,
      flushIntervalMs: 1_000,
    });
    for (let n = 1; n <= 7; n += 1) sink.capture(click(n));
    assert.deepEqual(r.batches, []);
    const first = await Promise.race([
      r.nextWrite().then(() => 'written'),
      sleep(500).then(() => 'waited for the interval'),
    ]);
    assert.equal(first, 'written');
    await sink.flush();
    assert.deepEqual(r.batches, [[1, 2, 3], [4, 5, 6], [7]]);
  });

  test('a failed write keeps the clicks and retries them later; capture never throws', async () => {
    const r = recorder();
    const sink = createBatchingClickSink({
      write: r.write,
      logger: r.logger as never,
      maxBatch: 500,
      flushIntervalMs: 20,
    });
    r.fail(true);
    sink.capture(click(1));
    await sink.flush();
    assert.equal(sink.pending, 1);
    assert.match(r.logged.join('\n'), /writing clicks failed/);
    r.fail(false);
    sink.capture(click(2));
    await r.nextWrite();
    assert.deepEqual(r.batches, [[1, 2]]);

    const throwing = createBatchingClickSink({
      write: () => {
        throw new Error('synchronous failure');
      },
      logger: r.logger as never,
      maxBatch: 1,
      flushIntervalMs: 1_000,
    });
    assert.doesNotThrow(() => {
      throwing.capture(click(3));
    });
    await throwing.flush();
    assert.equal(throwing.pending, 1);
  });

  test('memory is bounded: the oldest clicks go first, and that is logged', async () => {
    const r = recorder();
    const sink = createBatchingClickSink({
      write: r.write,
      logger: r.logger as never,
      maxBatch: 2,
      flushIntervalMs: 1_000,
      maxBuffered: 3,
    });
    r.fail(true);
    for (let n = 1; n <= 5; n += 1) sink.capture(click(n));
    assert.equal(sink.pending, 3);
    r.fail(false);
    await sink.flush();
    assert.deepEqual(r.batches, [[3, 4], [5]]);
    assert.match(r.logged.join('\n'), /"dropped":2/);
  });

  test('close flushes everything; clicks after close are dropped', async () => {
    const r = recorder();
    const sink = createBatchingClickSink({
      write: r.write,
      logger: r.logger as never,
      maxBatch: 500,
      flushIntervalMs: 1_000,
    });
    sink.capture(click(1));
    await sink.close();
    assert.deepEqual(r.batches, [[1]]);
    sink.capture(click(2));
    assert.equal(sink.pending, 0);
    await sink.flush();
    assert.deepEqual(r.batches, [[1]]);
  });
});
