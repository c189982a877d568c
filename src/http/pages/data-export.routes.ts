import type { FastifyPluginCallback } from 'fastify';
import {
  EXPORT_DATASETS,
  EXPORT_FORMATS,
  type DataExportService,
} from '#src/modules/analytics/index.ts';
import { sendExport } from '#src/http/export-download.ts';
import { signedInUser } from '#src/http/plugins/require-user.ts';

export interface DataExportRoutesOptions {
  readonly dataExport: Pick<DataExportService, 'export' | 'fileName'>;
}

/**
 * /accounts/export/{links,clicks}.{csv,json}: the signed-in user's data as files to save,
 * streamed (signed-in scope). No HEAD: it would run the whole export to throw it away.
 */
export const dataExportRoutes: FastifyPluginCallback<DataExportRoutesOptions> = (
  app,
  { dataExport },
  done,
) => {
  for (const dataset of EXPORT_DATASETS) {
    for (const format of EXPORT_FORMATS) {
      app.get(
        `/accounts/export/${dataset}.${format}`,
        { exposeHeadRoute: false },
        (request, reply) =>
          sendExport(reply, dataExport, { owner: signedInUser(request), dataset, format }),
      );
    }
  }
  done();
};
