import type { FastifyPluginCallback } from 'fastify';
import type { Container } from '#src/container.ts';

/**
 * Liveness touches nothing (a restart would not fix a broken database); readiness checks every
 * dependency so a load balancer stops sending traffic while one is down.
 */
export const healthRoutes: FastifyPluginCallback<{ container: Container }> = (
  app,
  { container },
  done,
) => {
  app.get('/healthz', (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  app.get('/readyz', async (_request, reply) => {
    const report = await container.readiness();
    return reply
      .code(report.ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: report.ok ? 'ok' : 'unavailable', checks: report.checks });
  });
  done();
};
