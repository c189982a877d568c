import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fsPromises, {
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ClickSpoolFullError,
  createClickSpool,
  type ClickBatch,
  type ClickSpool,
} from './click-spool.ts';
import { collectingLogger, rawClick } from '#test/helpers/click-fixtures.ts';

const click = rawClick;

const batch = (id: string, ...clicks: number[]): ClickBatch => ({
  batchId: id,
  clicks: clicks.map(click),
});

const lineOf = (b: ClickBatch): string => `${JSON.stringify(b)}\n`;

/** A queue that records what it was sent; `failOn` rejects that batch id (once unless told). */
function recordingQueue() {
  const sent: ClickBatch[] = [];
  let failOn: string | null = null;
  return {
    sent,
    ids: () => sent.map((b) => b.batchId),
    failOn: (batchId: string | null) => {
      failOn = batchId;
    },
    send: (b: ClickBatch): Promise<void> => {
      if (b.batchId === failOn) return Promise.reject(new Error('queue down'));
      sent.push(b);
      return Promise.resolve();
    },
  };
}

const down = (): Promise<void> => Promise.reject(new Error('queue down'));

async function ndjsonFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir)).filter((name) => name.endsWith('.ndjson')).sort();
}

// A broken spool tends to hang rather than throw.
describe('click spool', { timeout: 60_000 }, () => {
  let root: string;
  let dirs = 0;
  const open: ClickSpool[] = [];
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hoplink-click-spool-'));
  });
  after(async () => {
    for (const spool of open) await spool.close();
    await rm(root, { recursive: true, force: true });
  });

  /** A directory that does not exist yet: the spool creates it. */
  function freshDir(): string {
    dirs += 1;
    return join(root, `spool-${String(dirs)}`, 'click-spool');
  }

  function spoolOf(
    dir: string,
    pid: number,
    isAlive: (pid: number) => boolean,
    extra: { maxBytes?: number; logger?: ReturnType<typeof collectingLogger>['logger'] } = {},
  ): ClickSpool {
    const spool = createClickSpool({
      dir,
      pid,
      isAlive,
      maxBytes: extra.maxBytes ?? 1_000_000,
      logger: extra.logger ?? collectingLogger().logger,
    });
    open.push(spool);
    return spool;
  }

  const onlyAlive =
    (...pids: number[]) =>
    (pid: number): boolean =>
      pids.includes(pid);

  test('append creates the directory (0700) and clicks-<pid>.ndjson (0600), one JSON line per batch', async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 101, onlyAlive(101));
    // Until a replay has looked, files of stopped processes may be waiting.
    assert.equal(spool.hasBatches, true);
    assert.equal(spool.bytes, 0);
    assert.equal(existsSync(dir), false);

    const first = batch('b1', 1, 2);
    const second = batch('b2', 3);
    await spool.append(first);
    await spool.append(second);

    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await ndjsonFiles(dir), ['clicks-101.ndjson']);
    const path = join(dir, 'clicks-101.ndjson');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.split('\n').filter((line) => line !== '');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line) as unknown),
      [first, second],
    );
    assert.equal(spool.bytes, Buffer.byteLength(text));
    assert.equal(spool.bytes, (await stat(path)).size);
    assert.equal(spool.hasBatches, true);
  });

  test('replay sends every batch in order, deletes the files and returns the clicks sent', async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 102, onlyAlive(102));
    const queue = recordingQueue();
    const batches = [batch('b1', 1, 2), batch('b2', 3), batch('b3', 4, 5, 6)];
    for (const b of batches) await spool.append(b);

    assert.equal(await spool.replay(queue.send), 6);
    assert.deepEqual(queue.sent, batches);
    assert.deepEqual(await ndjsonFiles(dir), []);
    assert.equal(spool.bytes, 0);
    assert.equal(spool.hasBatches, false);

    assert.equal(await spool.replay(queue.send), 0);
    assert.equal(queue.sent.length, 3);

    // A spool that never appended, in a directory nobody created, has nothing to send.
    const empty = spoolOf(freshDir(), 103, onlyAlive(103));
    assert.equal(await empty.replay(queue.send), 0);
    assert.equal(empty.hasBatches, false);
  });

  test('a send failing midway keeps the file; the next replay sends the rest and the earlier batches again', async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 104, onlyAlive(104));
    const queue = recordingQueue();
    await spool.append(batch('b1', 1));
    await spool.append(batch('b2', 2, 3));
    await spool.append(batch('b3', 4));
    const held = spool.bytes;

    queue.failOn('b2');
    await assert.rejects(spool.replay(queue.send), /queue down/);
    assert.deepEqual(queue.ids(), ['b1']);
    assert.equal((await ndjsonFiles(dir)).length, 1);
    assert.equal(spool.bytes, held);
    assert.equal(spool.hasBatches, true);

    // Appends after the failure go to a new file, replayed after the older one.
    await spool.append(batch('b4', 5));
    assert.equal((await ndjsonFiles(dir)).length, 2);

    queue.failOn(null);
    assert.equal(await spool.replay(queue.send), 5);
    assert.deepEqual(queue.ids(), ['b1', 'b1', 'b2', 'b3', 'b4']);
    assert.deepEqual(await ndjsonFiles(dir), []);
    assert.equal(spool.bytes, 0);
    assert.equal(spool.hasBatches, false);
  });

  test('batches appended while a replay runs are kept for the next replay', async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 105, onlyAlive(105));
    const queue = recordingQueue();
    await spool.append(batch('b1', 1));
    await spool.append(batch('b2', 2));

    const sent = await spool.replay(async (b) => {
      if (b.batchId === 'b1') await spool.append(batch('b3', 3, 4));
      await queue.send(b);
    });
    assert.equal(sent, 2);
    assert.deepEqual(queue.ids(), ['b1', 'b2']);
    assert.deepEqual(await ndjsonFiles(dir), ['clicks-105.ndjson']);
    assert.equal(spool.bytes, Buffer.byteLength(lineOf(batch('b3', 3, 4))));
    assert.equal(spool.hasBatches, true);

    assert.equal(await spool.replay(queue.send), 2);
    assert.deepEqual(queue.ids(), ['b1', 'b2', 'b3']);
    assert.equal(spool.hasBatches, false);
  });

  test('appends racing with replays: every batch is sent exactly once', {}, async () => {
    const dir = freshDir();
    const spool = spoolOf(dir, 106, onlyAlive(106));
    const queue = recordingQueue();
    const appended: string[] = [];
    for (let round = 0; round < 40; round += 1) {
      const work: Promise<unknown>[] = [];
      for (let k = 0; k < 3; k += 1) {
        const id = `r${String(round)}-${String(k)}`;
        appended.push(id);
        work.push(spool.append(batch(id, round * 3 + k)));
        if (k === 1) work.push(spool.replay(queue.send));
      }
      await Promise.all(work);
    }
    await spool.replay(queue.send);
    assert.deepEqual([...queue.ids()].sort(), [...appended].sort());
    assert.deepEqual(await ndjsonFiles(dir), []);
    assert.equal(spool.bytes, 0);
  });

  test('exceeding maxBytes throws ClickSpoolFullError and writes nothing', async () => {
    const dir = freshDir();
    // Odd clicks have no referrer: these lines are all the same size.
    const size = Buffer.byteLength(lineOf(batch('b1', 1)));
    const spool = spoolOf(dir, 107, onlyAlive(107), { maxBytes: size * 2 });
    await spool.append(batch('b1', 1));
    await spool.append(batch('b2', 3));
    const path = join(dir, 'clicks-107.ndjson');
    const before = await readFile(path, 'utf8');

    await assert.rejects(spool.append(batch('b3', 5)), ClickSpoolFullError);
    await assert.rejects(spool.append(batch('b3', 5)), { name: 'ClickSpoolFullError' });
    assert.equal(await readFile(path, 'utf8'), before);
    assert.equal(spool.bytes, size * 2);

    // Sending the spool frees its room.
    const queue = recordingQueue();
    await spool.replay(queue.send);
    await spool.append(batch('b3', 5));
    assert.equal(spool.bytes, size);

    // A batch larger than the whole bound is refused before anything is created.
    const tiny = freshDir();
    const small = spoolOf(tiny, 108, onlyAlive(108), { maxBytes: size - 1 });
    await assert.rejects(small.append(batch('b1', 1)), ClickSpoolFullError);
    assert.equal(existsSync(tiny), false);
    assert.equal(small.bytes, 0);
  });

  test("a stopped process's files are taken over and replayed; a live process's are left alone", async () => {
    const dir = freshDir();
    const dead = spoolOf(dir, 201, onlyAlive(201));
    const queue = recordingQueue();
    await dead.append(batch('d1', 1, 2));
    // A failed replay leaves a rotated file besides the live one: both are taken over.
    await assert.rejects(dead.replay(down));
    await dead.append(batch('d2', 3));
    await dead.close();

    const live = spoolOf(dir, 202, onlyAlive(202));
    await live.append(batch('l1', 4));
    const deadFiles = (await ndjsonFiles(dir)).filter((name) => name.startsWith('clicks-201'));
    assert.equal(deadFiles.length, 2);
    const deadBytes = Buffer.byteLength(lineOf(batch('d1', 1, 2)) + lineOf(batch('d2', 3)));

    const log = collectingLogger();
    const me = spoolOf(dir, 203, onlyAlive(202, 203), { logger: log.logger });
    assert.equal(me.hasBatches, true);
    // Taken-over files count as this process's while they wait.
    await assert.rejects(me.replay(down), /queue down/);
    assert.equal(me.bytes, deadBytes);
    assert.equal(me.hasBatches, true);
    assert.deepEqual(
      log.lines
        .filter((line) => line.msg === 'replaying the click spool of a stopped process')
        .map((line) => line.fields.file)
        .sort(),
      deadFiles,
    );

    assert.equal(await me.replay(queue.send), 3);
    assert.deepEqual([...queue.ids()].sort(), ['d1', 'd2']);
    assert.equal(me.bytes, 0);
    assert.equal(me.hasBatches, false);
    assert.deepEqual(await ndjsonFiles(dir), ['clicks-202.ndjson']);

    assert.equal(await live.replay(queue.send), 1);
    assert.deepEqual([...queue.ids()].sort(), ['d1', 'd2', 'l1']);
    assert.deepEqual(await ndjsonFiles(dir), []);
  });

  test('two spools racing to take over the same dead files send each batch exactly once', async () => {
    const dir = freshDir();
    const sentBy: Record<string, string[]> = {};
    const sendAs =
      (who: string) =>
      (b: ClickBatch): Promise<void> => {
        (sentBy[b.batchId] ??= []).push(who);
        return Promise.resolve();
      };
    const a = spoolOf(dir, 1, onlyAlive(1, 2));
    const b = spoolOf(dir, 2, onlyAlive(1, 2));
    const expected: string[] = [];
    for (let round = 0; round < 20; round += 1) {
      for (const pid of [300 + round * 2, 301 + round * 2]) {
        const dead = spoolOf(dir, pid, () => true);
        for (let k = 0; k < 3; k += 1) {
          const id = `p${String(pid)}-${String(k)}`;
          expected.push(id);
          await dead.append(batch(id, pid * 10 + k));
          // Rotate now and then so a dead process leaves several files.
          if (k === 1) await assert.rejects(dead.replay(down));
        }
        await dead.close();
      }
      await Promise.all([a.replay(sendAs('a')), b.replay(sendAs('b'))]);
    }
    assert.deepEqual(Object.keys(sentBy).sort(), [...expected].sort());
    for (const [id, senders] of Object.entries(sentBy)) {
      assert.equal(senders.length, 1, `${id} was sent by ${senders.join(', ')}`);
    }
    assert.deepEqual(await ndjsonFiles(dir), []);
    assert.equal(a.bytes + b.bytes, 0);
  });

  test('a torn last line is skipped with a warning and the rest is sent', async () => {
    const dir = freshDir();
    const crashed = spoolOf(dir, 401, onlyAlive(401));
    await crashed.append(batch('b1', 1));
    await crashed.append(batch('b2', 2, 3));
    await crashed.append(batch('b3', 4));
    await crashed.close();
    // The process died halfway through writing its last line.
    const path = join(dir, 'clicks-401.ndjson');
    await truncate(path, (await stat(path)).size - 40);

    const log = collectingLogger();
    const me = spoolOf(dir, 402, onlyAlive(402), { logger: log.logger });
    const queue = recordingQueue();
    assert.equal(await me.replay(queue.send), 3);
    assert.deepEqual(queue.ids(), ['b1', 'b2']);
    assert.deepEqual(queue.sent, [batch('b1', 1), batch('b2', 2, 3)]);
    const warnings = log.lines.filter((line) => line.level === 'warn');
    assert.deepEqual(
      warnings.map((line) => line.msg),
      ['skipped a torn line in the click spool'],
    );
    assert.deepEqual(await ndjsonFiles(dir), []);
    assert.equal(me.bytes, 0);
  });

  test('close() leaves the files for the next process', async () => {
    const dir = freshDir();
    const first = spoolOf(dir, 501, onlyAlive(501));
    await first.append(batch('b1', 1));
    await first.append(batch('b2', 2));
    await first.close();
    assert.deepEqual(await ndjsonFiles(dir), ['clicks-501.ndjson']);
    const lines = (await readFile(join(dir, 'clicks-501.ndjson'), 'utf8')).split('\n');
    assert.equal(lines.filter((line) => line !== '').length, 2);

    const next = spoolOf(dir, 502, onlyAlive(502));
    const queue = recordingQueue();
    assert.equal(await next.replay(queue.send), 2);
    assert.deepEqual(queue.ids(), ['b1', 'b2']);
    assert.deepEqual(await ndjsonFiles(dir), []);
  });

  // Known defects: these run and fail (reported as TODO) until click-spool.ts is fixed.

  test(
    'a process reusing the pid of one that crashed mid-line keeps its own batches',
    {},
    async () => {
      // In a container the web process usually gets the same pid after every restart.
      const dir = freshDir();
      const crashed = spoolOf(dir, 601, onlyAlive(601));
      await crashed.append(batch('b1', 1));
      await crashed.close();
      await writeFile(
        join(dir, 'clicks-601.ndjson'),
        lineOf(batch('b1', 1)) + '{"batchId":"b2","cl',
      );

      const restarted = spoolOf(dir, 601, onlyAlive(601));
      await restarted.append(batch('b3', 3));
      const queue = recordingQueue();
      await restarted.replay(queue.send);
      assert.deepEqual(queue.ids(), ['b1', 'b3']);
    },
  );

  test(
    'replays that fail do not leak file descriptors',
    {
      skip: existsSync('/proc/self/fd') ? false : 'needs /proc/self/fd',
    },
    async () => {
      const dir = freshDir();
      const spool = spoolOf(dir, 602, onlyAlive(602));
      await spool.append(batch('b1', 1));
      const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
      const before = await openFds();
      // One failed replay per replay interval during an outage.
      for (let attempt = 0; attempt < 30; attempt += 1) {
        await assert.rejects(spool.replay(down));
      }
      assert.ok((await openFds()) - before < 5, `${String((await openFds()) - before)} fds leaked`);
    },
  );

  test(
    'an append that creates the new live file before the replay lists the directory is kept',
    {},
    async () => {
      const dir = freshDir();
      const spool = spoolOf(dir, 605, onlyAlive(605));
      const queue = recordingQueue();
      await spool.append(batch('b1', 1));
      // Appends and the listing run concurrently; hold the listing until the append is done.
      let appended: Promise<void> | undefined;
      const realReaddir = fsPromises.readdir;
      const heldReaddir = async (...args: Parameters<typeof realReaddir>) => {
        fsPromises.readdir = realReaddir;
        syncBuiltinESMExports();
        await appended;
        return realReaddir(...args);
      };
      fsPromises.readdir = heldReaddir as typeof realReaddir;
      syncBuiltinESMExports();
      try {
        const replaying = spool.replay(queue.send);
        appended = spool.append(batch('b2', 2));
        await replaying;
      } finally {
        fsPromises.readdir = realReaddir;
        syncBuiltinESMExports();
      }
      await spool.append(batch('b3', 3));
      await spool.replay(queue.send);
      assert.deepEqual([...queue.ids()].sort(), ['b1', 'b2', 'b3']);
    },
  );

  test("a stopped process's files are replayed oldest first", {}, async () => {
    const dir = freshDir();
    const dead = spoolOf(dir, 603, onlyAlive(603));
    await dead.append(batch('older', 1));
    await assert.rejects(dead.replay(down));
    await dead.append(batch('newer', 2));
    await dead.close();

    const me = spoolOf(dir, 604, onlyAlive(604));
    const queue = recordingQueue();
    await me.replay(queue.send);
    assert.deepEqual(queue.ids(), ['older', 'newer']);
  });
});
