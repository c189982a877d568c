import type { FastifyPluginCallback } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { RateLimitedError } from '#src/lib/errors.ts';
import { maskUrl } from '#src/lib/log-safety.ts';

const REPORT_TYPES = ['application/csp-report', 'application/reports+json', 'application/json'];
const REPORT_BODY_LIMIT = 16 * 1024;
const KEPT_FIELDS = [
  'document-uri',
  'blocked-uri',
  'violated-directive',
  'effective-directive',
  'source-file',
  'line-number',
  'disposition',
  'documentURL',
  'blockedURL',
  'effectiveDirective',
  'sourceFile',
  'lineNumber',
];

/** Keeps the fields worth reading, without query strings, each cut to a sane length. */
function summarise(report: unknown): Record<string, unknown>[] {
  const entries = Array.isArray(report) ? report : [report];
  return entries.slice(0, 10).map((entry) => {
    const body = ((entry as { 'csp-report'?: unknown; body?: unknown } | null)?.['csp-report'] ??
      (entry as { body?: unknown } | null)?.body ??
      entry) as Record<string, unknown> | null;
    const kept: Record<string, unknown> = {};
    for (const field of KEPT_FIELDS) {
      const value = body?.[field];
      // The page's own URL may be a reset link, with its token in the path.
      if (typeof value === 'string') kept[field] = maskUrl(value.split('?')[0] ?? '').slice(0, 512);
      else if (typeof value === 'number') kept[field] = value;
    }
    return kept;
  });
}

/**
 * Browsers post CSP violations here. Anyone can post, so the endpoint is rate limited per IP,
 * size limited, and logs only a summary.
 */
export const cspReportRoutes: FastifyPluginCallback = (app, _options, done) => {
  app.addContentTypeParser(
    REPORT_TYPES,
    { parseAs: 'string', bodyLimit: REPORT_BODY_LIMIT },
    (_request, body, parsed) => {
      try {
        parsed(null, JSON.parse(body as string) as unknown);
      } catch {
        parsed(null, null);
      }
    },
  );
  void app.register(rateLimit, {
    global: false,
    enableDraftSpec: true,
    errorResponseBuilder: () => new RateLimitedError(),
  });
  app.after(() => {
    app.post(
      '/csp-report',
      { bodyLimit: REPORT_BODY_LIMIT, config: { rateLimit: { max: 60, timeWindow: '1 minute' } } },
      (request, reply) => {
        request.log.warn(
          { cspViolations: summarise(request.body) },
          'content security policy violation',
        );
        return reply.code(204).send();
      },
    );
  });
  done();
};
