import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '#src/lib/logger.ts';
import { shortUrl, slugUrl, type Link, type LinksService } from '#src/modules/links/index.ts';
import type { AllTimeTotals, ClickExportRepository } from './click-export.repository.ts';
import { csvDocument, jsonDocument, type ExportRecord } from './export-formats.ts';

export const EXPORT_DATASETS = ['links', 'clicks'] as const;
export type ExportDataset = (typeof EXPORT_DATASETS)[number];
export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * The columns of each dataset, in CSV order; the JSON objects have the same fields. No IP and no
 * visitor hash: they are the visitors' data, not the owner's (decision 0026).
 */
export const EXPORT_COLUMNS = {
  links: [
    'code',
    'slug',
    'shortUrl',
    'slugUrl',
    'url',
    'title',
    'status',
    'redirectStatus',
    'expiresAt',
    'createdAt',
    'updatedAt',
    'clicks',
    'uniqueVisitors',
    'bots',
  ],
  clicks: ['code', 'clickedAt', 'referrer', 'referrerHost', 'browser', 'os', 'device', 'isBot'],
} as const satisfies Record<ExportDataset, readonly string[]>;

type Columns<D extends ExportDataset> = (typeof EXPORT_COLUMNS)[D][number];
type LinkRecord = ExportRecord<Columns<'links'>>;
type ClickRecord = ExportRecord<Columns<'clicks'>>;

/** Whose data: the links are the owner's, their slugs live under the username. */
export interface ExportOwner {
  readonly id: string;
  readonly username: string;
}

export interface DataExportDependencies {
  /** The owner's links, a page at a time: the only way to their clicks, so ownership holds. */
  readonly links: Pick<LinksService, 'allOf'>;
  readonly repository: Pick<ClickExportRepository, 'totals' | 'pagesOf'>;
  /** SITE_URL: the base of the short URLs. */
  readonly siteUrl: string;
  readonly logger: Pick<Logger, 'info'>;
  readonly now?: () => Date;
}

const NO_CLICKS = { clicks: 0, uniqueVisitors: 0, bots: 0 };

/**
 * A user's links and clicks as CSV or JSON, produced a page (about a thousand rows, one query)
 * at a time and handed out as text chunks: memory stays flat however much there is, and the
 * reading stops as soon as the consumer stops asking (a closed download).
 */
export function createDataExportService(deps: DataExportDependencies) {
  const now = deps.now ?? (() => new Date());

  function linkRecord(link: Link, totals: AllTimeTotals | undefined, owner: ExportOwner, at: Date) {
    const expired = link.expiresAt !== null && link.expiresAt.getTime() <= at.getTime();
    return {
      code: link.code,
      slug: link.slug,
      shortUrl: shortUrl(deps.siteUrl, link.code),
      slugUrl: link.slug === null ? null : slugUrl(deps.siteUrl, owner.username, link.slug),
      url: link.targetUrl,
      title: link.title,
      status: link.disabled ? 'disabled' : expired ? 'expired' : 'active',
      redirectStatus: link.redirectStatus,
      expiresAt: link.expiresAt,
      createdAt: link.createdAt,
      updatedAt: link.updatedAt,
      clicks: (totals ?? NO_CLICKS).clicks,
      uniqueVisitors: (totals ?? NO_CLICKS).uniqueVisitors,
      bots: (totals ?? NO_CLICKS).bots,
    } satisfies LinkRecord;
  }

  async function* linkPages(owner: ExportOwner): AsyncGenerator<LinkRecord[]> {
    for await (const links of deps.links.allOf(owner.id)) {
      const totals = await deps.repository.totals(links.map((link) => link.id));
      const byLink = new Map(totals.map((row) => [row.linkId, row]));
      const at = now();
      yield links.map((link) => linkRecord(link, byLink.get(link.id), owner, at));
    }
  }

  async function* clickPages(owner: ExportOwner): AsyncGenerator<ClickRecord[]> {
    for await (const links of deps.links.allOf(owner.id)) {
      for (const link of links) {
        for await (const clicks of deps.repository.pagesOf(link.id)) {
          yield clicks.map((click) => ({ code: link.code, ...click }) satisfies ClickRecord);
        }
      }
    }
  }

  /**
   * Counts what was read and says how the export ended, once (the `finally` runs whether the
   * pages ran out, the consumer stopped, or a query failed).
   */
  async function* accounted<R>(
    dataset: ExportDataset,
    pages: AsyncIterable<readonly R[]>,
  ): AsyncGenerator<readonly R[]> {
    let rows = 0;
    let complete = false;
    try {
      for await (const page of pages) {
        rows += page.length;
        yield page;
        // PGlite answers in this thread and its promises settle without a turn of the event
        // loop: without one here, an export would hold every other request, and the news that
        // its own download was closed, until it ended.
        await nextTurn();
      }
      complete = true;
    } finally {
      deps.logger.info(
        { export: dataset, rows, complete },
        complete ? 'data export finished' : 'data export ended early',
      );
    }
  }

  return {
    /**
     * The owner's links (with all-time click totals) or the raw clicks of their links, as CSV
     * (RFC 4180, formula-safe) or one JSON array, in chunks of about a thousand rows. Links
     * come newest first; clicks link by link, oldest first.
     */
    export(
      owner: ExportOwner,
      dataset: ExportDataset,
      format: ExportFormat,
    ): AsyncGenerator<string> {
      if (dataset === 'links') {
        const pages = accounted(dataset, linkPages(owner));
        return format === 'csv' ? csvDocument(EXPORT_COLUMNS.links, pages) : jsonDocument(pages);
      }
      const pages = accounted(dataset, clickPages(owner));
      return format === 'csv' ? csvDocument(EXPORT_COLUMNS.clicks, pages) : jsonDocument(pages);
    },

    /** `hoplink-<username>-<dataset>-<UTC date>.<format>`: safe as it is in a header. */
    fileName(owner: ExportOwner, dataset: ExportDataset, format: ExportFormat): string {
      return `hoplink-${owner.username}-${dataset}-${now().toISOString().slice(0, 10)}.${format}`;
    },
  };
}

export type DataExportService = ReturnType<typeof createDataExportService>;
