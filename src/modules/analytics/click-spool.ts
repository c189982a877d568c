import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '#src/lib/logger.ts';
import type { RawClick } from './click-sink.ts';

/** Clicks sent to the queue together; the batch id is the job id, so a resent batch is one job. */
export interface ClickBatch {
  readonly batchId: string;
  readonly clicks: readonly RawClick[];
}

export class ClickSpoolFullError extends Error {
  override readonly name = 'ClickSpoolFullError';
}

export interface ClickSpoolOptions {
  /** DATA_DIR/click-spool; created on the first append. */
  readonly dir: string;
  /** CLICK_SPOOL_MAX_SIZE: the bytes this process's spool files may hold together. */
  readonly maxBytes: number;
  readonly logger: Pick<Logger, 'warn' | 'info' | 'error'>;
  /** This process's id (tests play several processes). */
  readonly pid?: number;
  /** Whether a process is alive; a dead one's files are taken over and replayed. */
  readonly isAlive?: (pid: number) => boolean;
}

export interface ClickSpool {
  /** Appends one batch as a line and fsyncs it; throws ClickSpoolFullError past the bound. */
  append(batch: ClickBatch): Promise<void>;
  /**
   * Sends every spooled batch, this process's and those left by dead processes, oldest file
   * first; a file is deleted once all its batches are sent. Stops at the first failure (the
   * file stays, and its batches are sent again next time: batches are idempotent). Returns the
   * number of clicks sent.
   */
  replay(send: (batch: ClickBatch) => Promise<void>): Promise<number>;
  /** Whether this process has batches waiting, or there may be files of dead processes. */
  readonly hasBatches: boolean;
  /** Bytes of this process's spool files. */
  readonly bytes: number;
  /** Closes the file handle (the files stay for the next process to replay). */
  close(): Promise<void>;
}

// clicks-<pid>.ndjson is a process's live file; clicks-<pid>-<n>.ndjson are its rotated ones.
const FILE_NAME = /^clicks-(\d+)(?:-(\d+))?\.ndjson$/;

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The web process's fallback while Redis is unreachable: click batches appended to a local
 * file, one JSON line each, fsynced before the batch counts as kept. Files are per process; a
 * process replays its own, and takes over (by an atomic rename) those of processes that died.
 * The directory must belong to one host: liveness is judged by process id.
 */
export function createClickSpool(options: ClickSpoolOptions): ClickSpool {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processIsAlive;
  const { logger } = options;
  const livePath = join(options.dir, `clicks-${pid}.ndjson`);
  let handle: FileHandle | null = null;
  let bytes = 0;
  let sequence = 0;
  // Until the directory has been looked at, files of dead processes may be waiting.
  let mayHaveOrphans = true;
  let opened = false;
  // Appends and rotations run one at a time, in order.
  let tail: Promise<unknown> = Promise.resolve();

  function serially<T>(work: () => Promise<T>): Promise<T> {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  }

  async function rotatedPath(): Promise<string> {
    // A name no earlier rotation of this pid (or a dead namesake) has used.
    for (;;) {
      sequence += 1;
      // Milliseconds then a 3-digit sequence: the number orders a process's files by age.
      const order = Date.now() * 1_000 + (sequence % 1_000);
      const path = join(options.dir, `clicks-${pid}-${String(order)}.ndjson`);
      try {
        await stat(path);
      } catch {
        return path;
      }
    }
  }

  /** Moves the live file aside so appends continue in a fresh one while it is replayed. */
  function rotate(): Promise<void> {
    return serially(async () => {
      if (handle) {
        await handle.close();
        handle = null;
      }
      try {
        await rename(livePath, await rotatedPath());
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    });
  }

  /** This process's files plus dead processes' files (renamed to ours), oldest first. */
  async function claimFiles(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(options.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const ours: { path: string; order: number }[] = [];
    for (const name of names) {
      const match = FILE_NAME.exec(name);
      if (!match) continue;
      const owner = Number(match[1]);
      const path = join(options.dir, name);
      // Created by an append since this replay's rotation: the next replay's.
      if (name === basename(livePath)) continue;
      if (owner === pid) {
        // Our live file was rotated just before; one left here is a namesake's from before us.
        ours.push({ path, order: Number(match[2] ?? 0) });
        continue;
      }
      if (isAlive(owner)) continue;
      const claimed = await rotatedPath();
      try {
        await rename(path, claimed);
      } catch (error) {
        // Another process took it first.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const { size } = await stat(claimed);
      bytes += size;
      logger.info({ file: name, bytes: size }, 'replaying the click spool of a stopped process');
      ours.push({
        path: claimed,
        order: match[2] === undefined ? Number.MAX_SAFE_INTEGER : Number(match[2]),
      });
    }
    return ours.sort((a, b) => a.order - b.order).map((file) => file.path);
  }

  async function replayFile(
    path: string,
    send: (batch: ClickBatch) => Promise<void>,
  ): Promise<number> {
    let clicks = 0;
    const input = createReadStream(path);
    const lines = createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.trim() === '') continue;
        let batch: ClickBatch;
        try {
          batch = JSON.parse(line) as ClickBatch;
        } catch {
          // Only the last line of a file cut short by a crash can be torn: its batch was never kept.
          logger.warn({ file: path }, 'skipped a torn line in the click spool');
          continue;
        }
        await send(batch);
        clicks += batch.clicks.length;
      }
    } finally {
      lines.close();
      input.destroy();
    }
    const { size } = await stat(path);
    await unlink(path);
    bytes = Math.max(0, bytes - size);
    return clicks;
  }

  return {
    append(batch) {
      const line = `${JSON.stringify(batch)}\n`;
      const size = Buffer.byteLength(line);
      return serially(async () => {
        if (bytes + size > options.maxBytes) {
          throw new ClickSpoolFullError(
            `the click spool holds ${String(bytes)} bytes (CLICK_SPOOL_MAX_SIZE is ${String(options.maxBytes)})`,
          );
        }
        if (!handle) {
          await mkdir(options.dir, { recursive: true, mode: 0o700 });
          if (!opened) {
            opened = true;
            // A namesake's file may end in a torn line: never append after it.
            try {
              const aside = await rotatedPath();
              await rename(livePath, aside);
              bytes += (await stat(aside)).size;
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
            }
          }
          handle = await open(livePath, 'a', 0o600);
        }
        await handle.write(line);
        await handle.datasync();
        bytes += size;
      });
    },
    async replay(send) {
      await rotate();
      const files = await claimFiles();
      mayHaveOrphans = false;
      let clicks = 0;
      for (const path of files) clicks += await replayFile(path, send);
      return clicks;
    },
    get hasBatches() {
      return bytes > 0 || mayHaveOrphans;
    },
    get bytes() {
      return bytes;
    },
    close() {
      return serially(async () => {
        await handle?.close();
        handle = null;
      });
    },
  };
}
