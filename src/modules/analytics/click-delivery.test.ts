import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { until } from '#test/helpers/until.ts';
import { createClickDelivery, type ClickDelivery } from './click-delivery.ts';
import type { RawClick } from './click-sink.ts';
import { createClickSpool, type ClickBatch, type ClickSpool } from './click-spool.ts';
import { collectingLogger, rawClick } from '#test/helpers/click-fixtures.ts';

const click = rawClick;

const clicks = (...ns: number[]): RawClick[] => ns.map(click);

class QueueRefusedError extends Error {}

/** Stands in for the clicks queue: up, down (fails at once), hanging (never answers). */
function fakeQueue() {
  const sent: ClickBatch[] = [];
  const refused = new Set<string>();
  let state: 'up' | 'down' | 'hanging' = 'up';
  let calls = 0;
  return {
    sent,
    get calls() {
      return calls;
    },
    set: (next: typeof state) => {
      state = next;
    },
    /** The queue refuses any batch holding this click, whatever its state. */
    refuse: (n: number) => refused.add(click(n).eventId),
    send: (batch: ClickBatch): Promise<void> => {
      calls += 1;
      if (state === 'down') return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
      if (state === 'hanging') return new Promise<void>(() => undefined);
      if (batch.clicks.some((c) => refused.has(c.eventId))) {
        return Promise.reject(new QueueRefusedError('invalid job payload'));
      }
      sent.push(batch);
      return Promise.resolve();
    },
  };
}

/**
 * Counts the replays a spool is asked for as they start, and resolves `sending` when a replay
 * first hands a batch to the queue: what a test on a mocked clock can observe without waiting.
 */
function watchReplays(spool: ClickSpool) {
  const replay = spool.replay.bind(spool);
  let reachedQueue: () => void = () => undefined;
  const watch = {
    started: 0,
    sending: new Promise<void>((resolve) => {
      reachedQueue = resolve;
    }),
  };
  spool.replay = (send) => {
    watch.started += 1;
    return replay((batch) => {
      reachedQueue();
      return send(batch);
    });
  };
  return watch;
}

/**
 * Every delivered click reached the queue at least once, intact, and nothing else did; a
 * click may arrive twice (a resent batch is the same job, so the queue keeps one).
 */
function assertAllSent(sent: readonly ClickBatch[], delivered: readonly RawClick[][]): void {
  const expected = new Map(delivered.flat().map((c) => [c.eventId, c]));
  const got = new Map<string, RawClick>();
  for (const batch of sent) for (const c of batch.clicks) got.set(c.eventId, c);
  assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
  for (const [id, c] of got) assert.deepEqual(c, expected.get(id));
  // A batch resent from the spool keeps its id, so the queue sees one job.
  const contentOf = new Map<string, string>();
  for (const batch of sent) {
    const content = JSON.stringify(batch.clicks);
    assert.equal(contentOf.get(batch.batchId) ?? content, content, `batch ${batch.batchId}`);
    contentOf.set(batch.batchId, content);
  }
}

/** What the spool holds; a background replay may rename a file under us, so that rereads. */
async function spooledBatches(dir: string): Promise<ClickBatch[]> {
  for (;;) {
    if (!existsSync(dir)) return [];
    const names = (await readdir(dir)).filter((name) => name.endsWith('.ndjson')).sort();
    try {
      const batches: ClickBatch[] = [];
      for (const name of names) {
        const text = await readFile(join(dir, name), 'utf8');
        for (const line of text.split('\n')) {
          if (line !== '') batches.push(JSON.parse(line) as ClickBatch);
        }
      }
      return batches;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

const REACHABLE_AGAIN = /^clicks queue reachable again: \d+ spooled click\(s\) sent$/;
const UNREACHABLE = 'clicks queue unreachable: spooling click batches to disk until it answers';

// A broken delivery tends to hang rather than throw.
describe('click delivery', { timeout: 60_000 }, () => {
  let root: string;
  let dirs = 0;
  const closeAfter: (ClickDelivery | ClickSpool)[] = [];
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hoplink-click-delivery-'));
  });
  after(async () => {
    for (const closable of closeAfter) await closable.close();
    await rm(root, { recursive: true, force: true });
  });

  function freshDir(): string {
    dirs += 1;
    return join(root, `data-${String(dirs)}`, 'click-spool');
  }

  function spoolOf(dir: string, pid: number, isAlive: (pid: number) => boolean = () => true) {
    const spool = createClickSpool({
      dir,
      pid,
      isAlive,
      maxBytes: 1_000_000,
      logger: collectingLogger().logger,
    });
    closeAfter.push(spool);
    return spool;
  }

  function deliveryOf(options: {
    queue: ReturnType<typeof fakeQueue>;
    spool?: ClickSpool;
    sendTimeoutMs?: number;
    replayIntervalMs?: number;
  }) {
    const log = collectingLogger();
    const delivery = createClickDelivery({
      send: options.queue.send,
      ...(options.spool ? { spool: options.spool } : {}),
      isPermanent: (error) => error instanceof QueueRefusedError,
      logger: log.logger,
      sendTimeoutMs: options.sendTimeoutMs ?? 1_000,
      replayIntervalMs: options.replayIntervalMs ?? 60_000,
    });
    closeAfter.push(delivery);
    return { delivery, log };
  }

  test('a working send delivers each batch and spools nothing', async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 1001);
    const queue = fakeQueue();
    const { delivery, log } = deliveryOf({ queue, spool });
    const delivered = [clicks(1, 2), clicks(3)];
    for (const batch of delivered) await delivery.deliver(batch);

    assert.equal(queue.calls, 2);
    assert.deepEqual(
      queue.sent.map((batch) => batch.clicks),
      delivered,
    );
    assert.notEqual(queue.sent[0]?.batchId, queue.sent[1]?.batchId);
    assert.equal(spool.bytes, 0);
    assert.equal(existsSync(dir), false);
    assert.deepEqual(log.lines, []);
  });

  test('a failing send spools the batch, warns once, and spools later batches without sending', async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 1002);
    const queue = fakeQueue();
    const { delivery, log } = deliveryOf({ queue, spool });
    queue.set('down');
    const delivered = [clicks(1, 2), clicks(3), clicks(4, 5, 6), clicks(7)];
    for (const batch of delivered) await delivery.deliver(batch);

    assert.equal(queue.calls, 1);
    assert.deepEqual(queue.sent, []);
    assert.deepEqual(log.messages('warn'), [UNREACHABLE]);
    assert.match(String(log.lines[0]?.fields.err), /ECONNREFUSED/);
    const spooled = await spooledBatches(dir);
    assert.deepEqual(
      spooled.map((batch) => batch.clicks),
      delivered,
    );
    assert.equal(new Set(spooled.map((batch) => batch.batchId)).size, delivered.length);
    assert.ok(spool.bytes > 0);
  });

  test('once the queue answers again the background replay sends everything and says so', async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 1003);
    const queue = fakeQueue();
    const { delivery, log } = deliveryOf({
      queue,
      spool,
      sendTimeoutMs: 200,
      replayIntervalMs: 10,
    });
    queue.set('down');
    const delivered = [clicks(1, 2), clicks(3), clicks(4, 5, 6), clicks(7), clicks(8, 9)];
    for (const batch of delivered) await delivery.deliver(batch);
    // Background replays keep trying while the queue is down.
    await until(() => queue.calls >= 3, 'a replay has been tried and failed', 10_000);
    assert.deepEqual(queue.sent, []);
    assert.equal((await spooledBatches(dir)).length, delivered.length);

    queue.set('up');
    await until(
      () => log.messages('info').some((msg) => REACHABLE_AGAIN.test(msg)),
      'the outage end is logged',
      10_000,
    );
    assertAllSent(queue.sent, delivered);
    assert.equal(queue.sent.length, delivered.length);
    const reachable = log.lines.find((line) => REACHABLE_AGAIN.test(line.msg));
    assert.equal(reachable?.fields.clicks, delivered.flat().length);
    assert.deepEqual(await spooledBatches(dir), []);
    assert.equal(spool.bytes, 0);
    assert.deepEqual(log.messages('error'), []);

    // Sending works again: the next batch goes straight to the queue.
    const callsBefore = queue.calls;
    await delivery.deliver(clicks(10));
    assert.equal(queue.calls, callsBefore + 1);
    assertAllSent(queue.sent, [...delivered, clicks(10)]);
    assert.deepEqual(await spooledBatches(dir), []);
  });

  test('a send that never answers times out and the batch is spooled, then replayed', async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 1004);
    const queue = fakeQueue();
    const { delivery, log } = deliveryOf({ queue, spool, sendTimeoutMs: 20, replayIntervalMs: 10 });
    queue.set('hanging');
    await delivery.deliver(clicks(1, 2));
    assert.deepEqual(
      (await spooledBatches(dir)).map((batch) => batch.clicks),
      [clicks(1, 2)],
    );
    assert.deepEqual(log.messages('warn'), [UNREACHABLE]);
    assert.match(String(log.lines[0]?.fields.err), /did not answer within 20 ms/);
    await delivery.deliver(clicks(3));

    // Replays that time out stay quiet: the outage was reported once.
    await until(() => queue.calls >= 3, 'a replay has timed out', 10_000);
    assert.deepEqual(log.messages('warn'), [UNREACHABLE]);

    queue.set('up');
    await until(
      () => log.messages('info').some((msg) => REACHABLE_AGAIN.test(msg)),
      'the outage end is logged',
      10_000,
    );
    assertAllSent(queue.sent, [clicks(1, 2), clicks(3)]);
    assert.deepEqual(await spooledBatches(dir), []);
    assert.deepEqual(log.messages('warn'), [UNREACHABLE]);
  });

  test('a batch the queue refuses is logged and dropped, never spooled', async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 1005);
    const queue = fakeQueue();
    const { delivery, log } = deliveryOf({ queue, spool, replayIntervalMs: 10 });
    queue.refuse(1);
    await delivery.deliver(clicks(1, 2));
    assert.deepEqual(log.messages('error'), ['the clicks queue refused a batch; dropped']);
    assert.equal(log.lines[0]?.fields.clicks, 2);
    assert.equal(spool.bytes, 0);
    assert.equal(existsSync(dir), false);
    // Not an outage: the next batch is sent.
    await delivery.deliver(clicks(3));
    assert.equal(queue.calls, 2);
    assertAllSent(queue.sent, [clicks(3)]);
    assert.deepEqual(log.messages('warn'), []);

    // A refused batch spooled during an outage is dropped on replay; the others are sent.
    queue.set('down');
    queue.refuse(4);
    await delivery.deliver(clicks(4));
    await delivery.deliver(clicks(5, 6));
    assert.equal((await spooledBatches(dir)).length, 2);
    queue.set('up');
    await until(
      () => log.messages('info').some((msg) => REACHABLE_AGAIN.test(msg)),
      'the outage end is logged',
      10_000,
    );
    assertAllSent(queue.sent, [clicks(3), clicks(5, 6)]);
    const dropped = log.lines.filter(
      (line) => line.msg === 'the clicks queue refused a spooled batch; dropped',
    );
    assert.equal(dropped.length, 1);
    const [drop] = dropped;
    assert.ok(drop);
    assert.equal(drop.fields.clicks, 1);
    assert.equal(typeof drop.fields.batchId, 'string');
    assert.deepEqual(await spooledBatches(dir), []);
  });

  test('without a spool a failing send rejects deliver (the sink keeps the clicks)', async () => {
    const queue = fakeQueue();
    const { delivery, log } = deliveryOf({ queue, sendTimeoutMs: 20 });
    delivery.start();
    queue.set('down');
    await assert.rejects(delivery.deliver(clicks(1)), /ECONNREFUSED/);
    // Every batch tries the queue: the caller decides when to retry.
    await assert.rejects(delivery.deliver(clicks(1)), /ECONNREFUSED/);
    assert.equal(queue.calls, 2);
    queue.set('hanging');
    await assert.rejects(delivery.deliver(clicks(1)), /did not answer within 20 ms/);
    queue.set('up');
    queue.refuse(2);
    await delivery.deliver(clicks(2));
    assert.deepEqual(log.messages('error'), ['the clicks queue refused a batch; dropped']);
    await delivery.deliver(clicks(1));
    assertAllSent(queue.sent, [clicks(1)]);
    await delivery.close();
  });

  test('start() sends the batches a stopped process left in the spool', async () => {
    const dir = freshDir();
    const stopped = spoolOf(dir, 2001);
    const left = [clicks(1, 2), clicks(3)];
    for (const [index, batch] of left.entries()) {
      await stopped.append({ batchId: `left-${String(index)}`, clicks: batch });
    }
    await stopped.close();

    const spool = spoolOf(dir, 2002, (pid) => pid === 2002);
    const queue = fakeQueue();
    const { delivery, log } = deliveryOf({ queue, spool });
    delivery.start();
    await until(() => queue.sent.length === 2, 'the spooled clicks are sent', 10_000);
    assertAllSent(queue.sent, left);
    assert.deepEqual(
      queue.sent.map((batch) => batch.batchId),
      ['left-0', 'left-1'],
    );
    await until(
      () => log.messages('info').includes('3 spooled click(s) sent to the clicks queue'),
      'the replay is logged',
      10_000,
    );
    assert.deepEqual(await spooledBatches(dir), []);
    assert.deepEqual(log.messages('warn'), []);
  });

  test('start() while the queue is down keeps the stopped process’s batches until it answers', async () => {
    const dir = freshDir();
    const stopped = spoolOf(dir, 2003);
    await stopped.append({ batchId: 'left', clicks: clicks(1, 2) });
    await stopped.close();

    const spool = spoolOf(dir, 2004, (pid) => pid === 2004);
    const queue = fakeQueue();
    queue.set('down');
    const { delivery, log } = deliveryOf({ queue, spool, replayIntervalMs: 10 });
    delivery.start();
    await until(() => queue.calls >= 2, 'replays have failed', 10_000);
    assert.equal((await spooledBatches(dir)).length, 1);
    // A batch delivered meanwhile joins the spool.
    await delivery.deliver(clicks(3));
    queue.set('up');
    await until(
      () => log.messages('info').some((msg) => REACHABLE_AGAIN.test(msg)),
      'the outage end is logged',
      10_000,
    );
    assertAllSent(queue.sent, [clicks(1, 2), clicks(3)]);
    assert.deepEqual(await spooledBatches(dir), []);
  });

  test('close() stops the replay timer and leaves the spool files for the next process', async (t) => {
    const dir = freshDir();
    const spool = spoolOf(dir, 3001);
    const replays = watchReplays(spool);
    const queue = fakeQueue();
    // On a mocked clock a timer left armed fires inside tick(), and a replay starts right there.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { delivery } = deliveryOf({ queue, spool, replayIntervalMs: 20 });
    queue.set('down');
    await delivery.deliver(clicks(1));
    await delivery.deliver(clicks(2, 3));
    // A replay is due in 20 ms: close cancels it.
    await delivery.close();
    const callsAtClose = queue.calls;

    queue.set('up');
    t.mock.timers.tick(1_000);
    assert.equal(replays.started, 0, 'no replay after close');
    assert.equal(queue.calls, callsAtClose);
    t.mock.timers.reset();
    assert.deepEqual(queue.sent, []);
    const left = await spooledBatches(dir);
    assert.deepEqual(
      left.map((batch) => batch.clicks),
      [clicks(1), clicks(2, 3)],
    );

    const next = spoolOf(dir, 3002, (pid) => pid === 3002);
    const nextQueue = fakeQueue();
    const { delivery: nextDelivery } = deliveryOf({ queue: nextQueue, spool: next });
    nextDelivery.start();
    await until(() => nextQueue.sent.length === 2, 'the next process sent the spool', 10_000);
    assertAllSent(nextQueue.sent, [clicks(1), clicks(2, 3)]);
    assert.deepEqual(
      nextQueue.sent.map((batch) => batch.batchId),
      left.map((batch) => batch.batchId),
    );
  });

  test('close() during a replay waits for it and schedules no other', async (t) => {
    const dir = freshDir();
    const spool = spoolOf(dir, 3003);
    const replays = watchReplays(spool);
    const queue = fakeQueue();
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { delivery } = deliveryOf({ queue, spool, sendTimeoutMs: 100, replayIntervalMs: 10 });
    queue.set('down');
    await delivery.deliver(clicks(1));
    queue.set('hanging');
    t.mock.timers.tick(10);
    await replays.sending;
    assert.equal(queue.calls, 2, 'the replay is waiting on the queue');
    const closing = delivery.close();
    // The queue never answers: the send times out, the replay ends, and only then does close.
    t.mock.timers.tick(100);
    await closing;
    const callsAtClose = queue.calls;

    queue.set('up');
    t.mock.timers.tick(1_000);
    assert.equal(replays.started, 1, 'no replay scheduled after close');
    assert.equal(queue.calls, callsAtClose);
    assert.deepEqual(queue.sent, []);
    assert.deepEqual(
      (await spooledBatches(dir)).map((batch) => batch.clicks),
      [clicks(1)],
    );
  });

  test('a long outage of a send that fails fast is reported once', {}, async () => {
    // ioredis with maxRetriesPerRequest fails a command in well under the send timeout.
    const dir = freshDir();
    const spool = spoolOf(dir, 4001);
    const queue = fakeQueue();
    const { delivery, log } = deliveryOf({ queue, spool, replayIntervalMs: 10 });
    queue.set('down');
    await delivery.deliver(clicks(1));
    await until(() => queue.calls >= 6, 'several replays have failed', 10_000);
    await delivery.close();
    assert.deepEqual(log.messages('warn'), [UNREACHABLE]);
  });
});
