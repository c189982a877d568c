import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickRetentionRepository, RetainedTable } from './click-retention.repository.ts';

const DAY_MS = 86_400_000;

/** Rows deleted per statement: each statement is a short transaction of its own. */
export const RETENTION_BATCH_SIZE = 5_000;
/** The longest stretch of heap one statement reads: 8 MiB of 8 KiB blocks. */
const MAX_WINDOW_BLOCKS = 1_024;
const MIN_WINDOW_BLOCKS = 16;
/** A pause between statements, so that autovacuum, replicas and other sessions keep up. */
const PAUSE_MS = 20;
/** A slot past any a heap block can hold: "after the whole block". */
const LAST_SLOT = 65_535;

/**
 * The first moment kept when `days` UTC days are kept, today included: midnight UTC `days - 1`
 * days ago, the same start as a stats window of `days` days.
 */
export function retentionStart(now: Date, days: number): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - (days - 1) * DAY_MS);
}

export interface RetentionProgress {
  readonly table: RetainedTable;
  /** Blocks of the table walked so far, of `blocksTotal` (the table's length when the pass began). */
  readonly blocksDone: number;
  readonly blocksTotal: number;
  /** Rows deleted so far in this pass (or found, in a dry run). */
  readonly rows: number;
}

export interface TablePurge {
  /** Rows from before this moment go; null when they are kept forever. */
  readonly cutoff: Date | null;
  /** Rows deleted (or, in a dry run, that would be). */
  readonly rows: number;
  /** Statements run: deletes, or counts in a dry run. */
  readonly statements: number;
  /** False when the run was stopped before the end of the table; the next run goes on. */
  readonly complete: boolean;
  readonly durationMs: number;
}

type Walked = Omit<TablePurge, 'durationMs'>;

export interface RetentionReport {
  readonly dryRun: boolean;
  readonly visitorHashes: TablePurge;
  readonly clicks: TablePurge;
  readonly durationMs: number;
}

export interface RetentionRunOptions {
  /** Count what would go, delete nothing. */
  readonly dryRun?: boolean;
  /** Stops the run between two statements (a shutdown); what is deleted stays deleted. */
  readonly signal?: AbortSignal;
  /** Called after each statement. */
  readonly onProgress?: (progress: RetentionProgress) => void;
}

export interface ClickRetentionServiceDependencies {
  readonly repository: ClickRetentionRepository;
  /** CLICK_RETENTION_DAYS: UTC days of raw clicks kept, today included; 0 keeps them forever. */
  readonly clickRetentionDays: number;
  /** CLICK_VISITOR_RETENTION_DAYS: UTC days of visitor hashes kept, today included. */
  readonly visitorRetentionDays: number;
  readonly now?: () => Date;
  /** Rows per statement (tests make it small). */
  readonly batchSize?: number;
  readonly pauseMs?: number;
}

/**
 * Enforces the retention settings: deletes raw clicks and visitor hashes older than they allow.
 * The daily rollups are untouched (their trigger fires on insert only), so totals, charts and
 * top lists stay as they were; only the recent clicks list loses what is older than its window.
 */
export function createClickRetentionService(deps: ClickRetentionServiceDependencies) {
  const now = deps.now ?? (() => new Date());
  const batchSize = deps.batchSize ?? RETENTION_BATCH_SIZE;
  const pauseMs = deps.pauseMs ?? PAUSE_MS;
  const { repository } = deps;

  const pause = (signal?: AbortSignal) =>
    sleep(pauseMs, undefined, signal ? { signal } : {}).catch(() => undefined);

  /**
   * One pass over the table's heap. The window a statement reads adapts to how densely old
   * rows lie: shrunk to about one batch's worth where they are dense, doubled where they are
   * sparse, so no statement reads much more than it deletes, nor more than 8 MiB.
   */
  async function purge(
    table: RetainedTable,
    cutoff: Date,
    options: RetentionRunOptions,
  ): Promise<Walked> {
    const { signal, onProgress } = options;
    if (!(await repository.hasRowsBefore(table, cutoff))) {
      return { cutoff, rows: 0, statements: 0, complete: true };
    }
    const blocksTotal = await repository.blocks(table);
    let rows = 0;
    let statements = 0;
    let block = 0;
    let after = { block: 0, slot: 0 };
    let window = MAX_WINDOW_BLOCKS;
    while (block < blocksTotal) {
      if (signal?.aborted) return { cutoff, rows, statements, complete: false };
      const before = Math.min(block + window, blocksTotal);
      const { deleted, last } = await repository.deleteOlder(table, {
        cutoff,
        after,
        before,
        limit: batchSize,
      });
      statements += 1;
      rows += deleted;
      if (deleted === batchSize && last) {
        const walked = last.block - block + 1;
        window = clamp(Math.ceil(walked * 1.25), MIN_WINDOW_BLOCKS, MAX_WINDOW_BLOCKS);
        after = last;
        block = last.block;
      } else {
        window = Math.min(window * 2, MAX_WINDOW_BLOCKS);
        after = { block: before - 1, slot: LAST_SLOT };
        block = before;
      }
      onProgress?.({ table, blocksDone: block, blocksTotal, rows });
      await pause(signal);
    }
    return { cutoff, rows, statements, complete: true };
  }

  /** A dry run: counts the old rows, window by window, as a pass would meet them. */
  async function count(
    table: RetainedTable,
    cutoff: Date,
    options: RetentionRunOptions,
  ): Promise<Walked> {
    const { signal, onProgress } = options;
    if (!(await repository.hasRowsBefore(table, cutoff))) {
      return { cutoff, rows: 0, statements: 0, complete: true };
    }
    const blocksTotal = await repository.blocks(table);
    let rows = 0;
    let statements = 0;
    for (let block = 0; block < blocksTotal; block += MAX_WINDOW_BLOCKS) {
      if (signal?.aborted) return { cutoff, rows, statements, complete: false };
      const to = Math.min(block + MAX_WINDOW_BLOCKS, blocksTotal);
      rows += await repository.countOlder(table, { cutoff, from: block, to });
      statements += 1;
      onProgress?.({ table, blocksDone: to, blocksTotal, rows });
    }
    return { cutoff, rows, statements, complete: true };
  }

  /** Where each table's kept rows begin at `at`; null for clicks kept forever. */
  function cutoffs(at: Date = now()): { clicks: Date | null; visitorHashes: Date } {
    return {
      clicks: deps.clickRetentionDays > 0 ? retentionStart(at, deps.clickRetentionDays) : null,
      visitorHashes: retentionStart(at, deps.visitorRetentionDays),
    };
  }

  return {
    cutoffs,

    /**
     * Deletes visitor hashes, then raw clicks, older than the settings keep, in batches; stops
     * between two statements when `signal` aborts. Safe to run twice at once, and after a stop:
     * each pass deletes whatever is still old.
     */
    async run(options: RetentionRunOptions = {}): Promise<RetentionReport> {
      const started = performance.now();
      const { clicks: clickCutoff, visitorHashes: hashCutoff } = cutoffs();
      const walk = async (table: RetainedTable, cutoff: Date | null): Promise<TablePurge> => {
        const began = performance.now();
        const walked: Walked = cutoff
          ? await (options.dryRun ? count : purge)(table, cutoff, options)
          : { cutoff: null, rows: 0, statements: 0, complete: true };
        return { ...walked, durationMs: Math.round(performance.now() - began) };
      };
      const visitorHashes = await walk('visitorHashes', hashCutoff);
      const clicks = await walk('clicks', clickCutoff);
      return {
        dryRun: options.dryRun ?? false,
        visitorHashes,
        clicks,
        durationMs: Math.round(performance.now() - started),
      };
    },
  };
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export type ClickRetentionService = ReturnType<typeof createClickRetentionService>;
