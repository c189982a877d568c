import fp from 'fastify-plugin';

/** Health probes often come over plain HTTP from inside the network; they must not bounce. */
const EXEMPT = new Set(['/healthz', '/readyz']);

/**
 * Sends plain-HTTP requests to the same URL over HTTPS. Registered after the Host check, so the
 * redirect target is always one of our own hosts. Behind a proxy the scheme comes from
 * X-Forwarded-Proto only when the peer is trusted (Fastify's trustProxy).
 */
export const httpsRedirectPlugin = fp(
  (app, _options, done) => {
    app.addHook('onRequest', (request, reply, next) => {
      if (request.protocol === 'https' || EXEMPT.has(request.url)) {
        next();
        return;
      }
      void reply.redirect(`https://${request.hostname}${request.url}`, 301);
    });
    done();
  },
  { name: 'hoplink-https-redirect' },
);
