import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type {
  DataExportService,
  ExportDataset,
  ExportFormat,
  ExportOwner,
} from '#src/modules/analytics/index.ts';

/** The media type of each export format; CSV says its first line is a header (RFC 4180). */
export const EXPORT_MEDIA_TYPES: Readonly<Record<ExportFormat, string>> = {
  csv: 'text/csv; charset=utf-8; header=present',
  json: 'application/json; charset=utf-8',
};

export interface ExportRequest {
  readonly owner: ExportOwner;
  readonly dataset: ExportDataset;
  readonly format: ExportFormat;
}

/**
 * Answers with an export as a file to save, streamed: each chunk the service produces (a page
 * of rows) is written as it comes, and when the client goes away Fastify destroys the stream,
 * which ends the service's iteration and its queries. Shared by the site and the API.
 */
export function sendExport(
  reply: FastifyReply,
  dataExport: Pick<DataExportService, 'export' | 'fileName'>,
  { owner, dataset, format }: ExportRequest,
): FastifyReply {
  const fileName = dataExport.fileName(owner, dataset, format);
  return reply
    .type(EXPORT_MEDIA_TYPES[format])
    .header('content-disposition', `attachment; filename="${fileName}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(dataExport.export(owner, dataset, format), { objectMode: false }));
}
