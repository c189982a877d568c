import fp from 'fastify-plugin';
import { ForbiddenError } from '#src/lib/errors.ts';

const ALLOWED_METHODS = 'GET, POST, PATCH, DELETE';
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Request-Id';
const EXPOSED_HEADERS =
  'X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After';

/**
 * CORS from an explicit allowlist, for the scope that registers it: the JSON API, which
 * authenticates with bearer tokens, never cookies, so credentials are not allowed cross-origin.
 * Preflights are answered for every path of that scope.
 */
export const corsPlugin = fp<{ allowedOrigins: readonly string[] }>(
  (app, { allowedOrigins }, done) => {
    const allowed = new Set(allowedOrigins);
    app.addHook('onRequest', (request, reply, next) => {
      reply.header('vary', 'Origin');
      const origin = request.headers.origin;
      if (origin !== undefined && allowed.has(origin)) {
        reply.header('access-control-allow-origin', origin);
        reply.header('access-control-expose-headers', EXPOSED_HEADERS);
      }
      next();
    });
    app.options('/*', (request, reply) => {
      const origin = request.headers.origin;
      if (origin === undefined || !allowed.has(origin)) {
        throw new ForbiddenError('This origin may not call the API.');
      }
      return reply
        .code(204)
        .header('access-control-allow-methods', ALLOWED_METHODS)
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .send();
    });
    done();
  },
  { name: 'hoplink-cors' },
);
