import { z } from 'zod';
import {
  EXPORT_COLUMNS,
  type ExportDataset,
  type ExportFormat,
} from '#src/modules/analytics/index.ts';
import { fileDownload } from './openapi.ts';

/*
 * The exports' shapes, for the document only: an export is streamed, so nothing serializes
 * through these. Each object names exactly the dataset's columns (the `satisfies` below), and
 * the tests parse real exports with them.
 */

const timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC.' });
const text = z.string().nullable();

type Shape<D extends ExportDataset> = Record<(typeof EXPORT_COLUMNS)[D][number], z.ZodType>;

export const ExportedLinkSchema = z
  .strictObject({
    code: z.string(),
    slug: text,
    shortUrl: z.string().meta({ format: 'uri' }),
    slugUrl: text.meta({ description: 'The personal address /<username>/<slug>, if any.' }),
    url: z.string().meta({ format: 'uri', description: 'The target.' }),
    title: text,
    status: z.enum(['active', 'disabled', 'expired']),
    redirectStatus: z.number().int(),
    expiresAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    clicks: z.number().int().meta({ description: 'All-time human clicks.' }),
    uniqueVisitors: z.number().int().meta({ description: 'All-time, counted per UTC day.' }),
    bots: z.number().int().meta({ description: 'All-time clicks by bots.' }),
  } satisfies Shape<'links'>)
  .meta({ id: 'ExportedLink', description: 'One of your links, with its all-time counts.' });

export const ExportedClickSchema = z
  .strictObject({
    code: z.string().meta({ description: "The link's code." }),
    clickedAt: timestamp,
    referrer: text,
    referrerHost: text,
    browser: text,
    os: text,
    device: text,
    isBot: z.boolean(),
  } satisfies Shape<'clicks'>)
  .meta({
    id: 'ExportedClick',
    description: 'One click on one of your links; never the visitor’s IP or visitor hash.',
  });

const ITEM_SCHEMAS = { links: ExportedLinkSchema, clicks: ExportedClickSchema };

/** The documented 200 of one export: the JSON array, or the CSV text with its header row. */
export function exportResponse(dataset: ExportDataset, format: ExportFormat): z.ZodType {
  if (format === 'json') {
    return fileDownload(
      'application/json',
      z.array(ITEM_SCHEMAS[dataset]).meta({ description: 'One JSON array, streamed.' }),
    );
  }
  return fileDownload(
    'text/csv',
    z.string().meta({
      description: `CSV (RFC 4180, CRLF line ends), streamed. Header row: ${EXPORT_COLUMNS[dataset].join(',')}. Empty fields are null; text starting with = + - @ or a tab is prefixed with ' so spreadsheets show it instead of running it.`,
    }),
  );
}
