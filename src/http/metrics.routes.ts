import type { FastifyPluginCallback } from 'fastify';
import { bearerTokenMatches } from '#src/lib/bearer-token.ts';
import { UnauthorizedError } from '#src/lib/errors.ts';

export interface MetricsRoutesOptions {
  /** METRICS_TOKEN: the bearer token Prometheus sends. */
  readonly token: { reveal(): string };
  /** The metrics in the Prometheus text format (in serve, every worker's, added up). */
  readonly scrape: () => Promise<string>;
  readonly contentType: string;
}

/**
 * `/metrics` on the public port, registered only when METRICS_TOKEN is set and METRICS_LISTEN is
 * not (decision 0022): without the token it is a 401, never the metrics.
 */
export const metricsRoutes: FastifyPluginCallback<MetricsRoutesOptions> = (
  app,
  { token, scrape, contentType },
  done,
) => {
  app.get('/metrics', async (request, reply) => {
    if (!bearerTokenMatches(request.headers.authorization, token.reveal())) {
      void reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedError('This address needs the metrics token.');
    }
    const body = await scrape();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
  done();
};
