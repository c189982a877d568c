import type { FastifyPluginCallback } from 'fastify';
import {
  EXPORT_DATASETS,
  EXPORT_FORMATS,
  type DataExportService,
} from '#src/modules/analytics/index.ts';
import { sendExport } from '#src/http/export-download.ts';
import { callerOf } from './bearer-auth.ts';
import { exportResponse } from './export.schemas.ts';
import type { ZodTypeProvider } from './zod-compilers.ts';

export interface ExportRoutesOptions {
  readonly dataExport: Pick<DataExportService, 'export' | 'fileName'>;
}

const capitalized = (word: string) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`;

/**
 * /api/v1/me/export/{links,clicks}.{csv,json}: the caller's own links or clicks, streamed, for
 * any token that may read links. No HEAD: it would run the whole export to throw it away.
 */
export const exportApiRoutes: FastifyPluginCallback<ExportRoutesOptions> = (
  instance,
  { dataExport },
  done,
) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  for (const dataset of EXPORT_DATASETS) {
    for (const format of EXPORT_FORMATS) {
      app.get(
        `/me/export/${dataset}.${format}`,
        {
          exposeHeadRoute: false,
          config: { apiAccess: 'links:read' },
          schema: {
            operationId: `export${capitalized(dataset)}${format.toUpperCase()}`,
            summary:
              dataset === 'links'
                ? `Download your links, with all-time counts, as ${format.toUpperCase()}`
                : `Download every click of your links as ${format.toUpperCase()}`,
            tags: ['account'],
            response: { 200: exportResponse(dataset, format) },
          },
        },
        (request, reply) => {
          const { user } = callerOf(request);
          return sendExport(reply, dataExport, { owner: user, dataset, format });
        },
      );
    }
  }
  done();
};
