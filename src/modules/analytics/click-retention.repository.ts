import { sql, type SQL } from 'drizzle-orm';
import { rawRows, type Database } from '#src/db/client.ts';
import { clickDailyVisitors, clicks } from '#src/db/schema.ts';

/** The tables retention deletes from: raw clicks, and the visitor hashes of their days. */
export type RetainedTable = 'clicks' | 'visitorHashes';

/**
 * Where a row lies in its table's heap (PostgreSQL's `ctid`): a block and a slot in it. Only
 * meaningful within one pass: clicks are never updated, so a row keeps its place until deleted.
 */
export interface RowPosition {
  readonly block: number;
  readonly slot: number;
}

interface TableSpec {
  readonly name: string;
  readonly table: typeof clicks | typeof clickDailyVisitors;
  /** Rows from before `cutoff` (a UTC midnight). */
  readonly older: (cutoff: Date) => SQL;
  readonly linkId: typeof clicks.linkId | typeof clickDailyVisitors.linkId;
}

const TABLES: Readonly<Record<RetainedTable, TableSpec>> = {
  clicks: {
    name: 'clicks',
    table: clicks,
    older: (cutoff) => sql`${clicks.clickedAt} < ${cutoff.toISOString()}::timestamptz`,
    linkId: clicks.linkId,
  },
  visitorHashes: {
    name: 'click_daily_visitors',
    table: clickDailyVisitors,
    older: (cutoff) => sql`${clickDailyVisitors.day} < ${cutoff.toISOString().slice(0, 10)}::date`,
    linkId: clickDailyVisitors.linkId,
  },
};

const tid = (position: RowPosition) => `(${position.block},${position.slot})`;

function parseTid(text: string): RowPosition {
  const [block, slot] = text.slice(1, -1).split(',').map(Number);
  return { block: block ?? 0, slot: slot ?? 0 };
}

/**
 * Deletes old rows by walking the table's heap in physical order, a few thousand rows per
 * statement (decision 0024). The walk needs no index on the age column (every index would cost
 * each click insert), each statement reads a bounded stretch of blocks, and rows written
 * together sit together in the heap, so a statement deletes them page by page rather than one
 * page per row. Each statement is its own transaction: it locks only the rows it deletes, which
 * nothing else locks (inserts and the rollup trigger never touch old rows).
 */
export function createClickRetentionRepository(db: Database) {
  return {
    /** The table's current length in blocks: where a pass started now ends. */
    async blocks(table: RetainedTable): Promise<number> {
      const [row] = await rawRows<{ blocks: number }>(
        db,
        sql`select (pg_relation_size(${TABLES[table].name}::regclass)
                    / current_setting('block_size')::int)::int as blocks`,
      );
      return row?.blocks ?? 0;
    },

    /**
     * Whether any row predates `cutoff`: one probe of the table's (link, time) index per link,
     * so a run with nothing to delete costs milliseconds rather than a pass over the table. The
     * links are those of `click_daily`, walked one index descent each: every click and visitor
     * hash was counted there by the same statement that wrote it.
     */
    async hasRowsBefore(table: RetainedTable, cutoff: Date): Promise<boolean> {
      const spec = TABLES[table];
      const [row] = await rawRows<{ found: boolean }>(
        db,
        sql`with recursive counted (link_id) as (
              (select link_id from click_daily order by link_id limit 1)
              union all
              select (select next.link_id from click_daily as next
                      where next.link_id > counted.link_id order by next.link_id limit 1)
              from counted where counted.link_id is not null
            )
            select exists (
              select 1 from counted cross join lateral (
                select 1 from ${spec.table}
                where ${spec.linkId} = counted.link_id and ${spec.older(cutoff)}
                limit 1
              ) as old
            ) as found`,
      );
      return row?.found ?? false;
    },

    /**
     * Deletes at most `limit` rows older than `cutoff` that lie after `after` and before block
     * `before`, the first ones in heap order; returns how many went and the last one's position
     * (the walk continues after it when the limit was reached).
     */
    async deleteOlder(
      table: RetainedTable,
      window: {
        readonly cutoff: Date;
        readonly after: RowPosition;
        readonly before: number;
        readonly limit: number;
      },
    ): Promise<{ deleted: number; last: RowPosition | null }> {
      const spec = TABLES[table];
      const [row] = await rawRows<{ deleted: number; last: string | null }>(
        db,
        sql`with gone as (
              delete from ${spec.table} where ctid = any(array(
                select ctid from ${spec.table}
                where ctid > ${tid(window.after)}::tid and ctid < ${tid({ block: window.before, slot: 0 })}::tid
                  and ${spec.older(window.cutoff)}
                order by ctid
                limit ${window.limit}
              ))
              returning ctid
            )
            select count(*)::int as deleted, max(ctid)::text as last from gone`,
      );
      return {
        deleted: row?.deleted ?? 0,
        last: row?.last ? parseTid(row.last) : null,
      };
    },

    /** How many rows older than `cutoff` lie in blocks `from` to `to` (excluded): a dry run. */
    async countOlder(
      table: RetainedTable,
      window: { readonly cutoff: Date; readonly from: number; readonly to: number },
    ): Promise<number> {
      const spec = TABLES[table];
      const [row] = await rawRows<{ older: number }>(
        db,
        sql`select count(*)::int as older from ${spec.table}
            where ctid >= ${tid({ block: window.from, slot: 0 })}::tid
              and ctid < ${tid({ block: window.to, slot: 0 })}::tid
              and ${spec.older(window.cutoff)}`,
      );
      return row?.older ?? 0;
    },
  };
}

export type ClickRetentionRepository = ReturnType<typeof createClickRetentionRepository>;
