import type { FastifyPluginCallback } from 'fastify';
import type { ReadinessReport } from '#src/lib/readiness.ts';

const readinessResponse = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'failing'] } },
  },
} as const;

/**
 * Liveness touches nothing (a restart would not fix a broken database). Readiness answers 503
 * only when this process cannot do its job, so a load balancer sends traffic elsewhere: without
 * the database. Redis down is `degraded` with 200: redirects and pages still work, and every
 * instance shares that Redis, so taking them out would turn its outage into a full one.
 * Decision 0015.
 */
export interface HealthRoutesOptions {
  /** The process's readiness (the container's): which dependencies answer, and so the status. */
  readonly readiness: () => Promise<ReadinessReport>;
}

export const healthRoutes: FastifyPluginCallback<HealthRoutesOptions> = (
  app,
  { readiness },
  done,
) => {
  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
        },
      },
    },
    (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    { schema: { response: { 200: readinessResponse, 503: readinessResponse } } },
    async (_request, reply) => {
      const report = await readiness();
      return reply
        .code(report.status === 'unavailable' ? 503 : 200)
        .header('cache-control', 'no-store')
        .send(report);
    },
  );
  done();
};
