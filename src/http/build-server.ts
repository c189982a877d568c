import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Container } from '#src/container.ts';
import type { QueueInspection } from '#src/jobs/queue.ts';
import { apiV1 } from './api/index.ts';
import { cspReportRoutes } from './csp-report.routes.ts';
import { healthRoutes } from './health.routes.ts';
import { metricsRoutes } from './metrics.routes.ts';
import { siteScope } from './pages/index.ts';
import { renderErrorPage } from './pages/render.ts';
import { allowedHostsPlugin } from './plugins/allowed-hosts.ts';
import { corsPlugin } from './plugins/cors.ts';
import {
  errorHandlerPlugin,
  sendError,
  type ErrorHandlerOptions,
} from './plugins/error-handler.ts';
import { httpsRedirectPlugin } from './plugins/https-redirect.ts';
import { inputTextPlugin } from './plugins/input-text.ts';
import { generateRequestId } from './plugins/request-id.ts';
import { instrumentRoutes, MeteredRequestLog } from './plugins/request-metrics.ts';
import { staticFilesPlugin } from './plugins/static-files.ts';
import {
  applySecurityHeaders,
  securityHeaders,
  securityHeadersPlugin,
} from './plugins/security-headers.ts';
import { redirectRoutes } from './redirect.routes.ts';
import { tlsServerOptions } from './tls-options.ts';

const BARE_400 = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

export interface BuildServerOptions {
  /**
   * What /metrics on the public port answers (when METRICS_TOKEN is set and METRICS_LISTEN is
   * not): a serve worker asks its primary for every worker's metrics; by default, this process's.
   */
  readonly scrapeMetrics?: () => Promise<string>;
}

/**
 * Builds the web application. It never listens: `serve` attaches it to a socket, tests inject.
 *
 * Scopes (Fastify encapsulation), each carrying only the hooks its routes need:
 * - the root: security headers, request id, the Host check, the HTTPS redirect, error pages;
 *   health checks, static files, CSP reports and the redirect live here and nothing else runs;
 * - the API scope (/api): CORS, JSON errors, text checks, bearer tokens and rate limits;
 * - the site scope: forms, cookies, CSRF and sessions, then the signed-in pages (pages/index.ts).
 */
export function buildServer(
  container: Container,
  options: BuildServerOptions = {},
): FastifyInstance {
  const { settings, metrics } = container;
  const headers = securityHeaders(settings);
  // The root and the site answer errors with the site's page; the API with JSON.
  const htmlErrors: ErrorHandlerOptions = {
    debug: settings.debug,
    format: 'html',
    renderPage: renderErrorPage,
  };
  const jsonErrors: ErrorHandlerOptions = { debug: settings.debug, format: 'json' };
  // pino's Logger is a FastifyBaseLogger; naming the wider type keeps the instance's generics plain.
  const logger: FastifyBaseLogger = container.logger;
  const app = Fastify({
    loggerInstance: logger,
    logController: new MeteredRequestLog(
      container.logger,
      { redirectSampleRate: settings.redirectLogSampleRate },
      metrics,
    ),
    requestIdHeader: false,
    genReqId: generateRequestId,
    trustProxy: settings.trustProxyHeaders ? [...settings.trustedProxies] : false,
    bodyLimit: settings.serverBodyLimit,
    connectionTimeout: settings.serverRequestTimeout,
    requestTimeout: settings.serverRequestTimeout,
    keepAliveTimeout: settings.serverKeepaliveTimeout,
    // During a drain, requests on open keep-alive connections are still served (not 503'd);
    // Node closes those connections once their responses are written.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ...(settings.tls ? { https: tlsServerOptions(settings.tls) } : {}),
    // Malformed HTTP never reaches Fastify's router: answer without naming the framework. A TLS
    // handshake that timed out has no channel to answer on: ending would wait forever.
    clientErrorHandler: (error, socket) => {
      if (socket.writable && error.code !== 'ERR_TLS_HANDSHAKE_TIMEOUT') socket.end(BARE_400);
      else socket.destroy();
    },
    // Errors raised before routing (a malformed URL, say) get the same headers and body as any.
    frameworkErrors: (error, request, reply) => {
      applySecurityHeaders(headers, request, reply);
      // No route, so no scope yet: the path says which format the client expects.
      sendError(error, request, reply, request.url.startsWith('/api/') ? jsonErrors : htmlErrors);
    },
  });
  app.server.headersTimeout = Math.min(settings.serverRequestTimeout, 60_000);
  // At the root: every page's header, error pages included, says the same about signing up.
  app.decorate('signUpOpen', settings.registrationMode === 'open');
  // Before any route: every route registered from here on is counted, but the redirect.
  instrumentRoutes(app, metrics);

  // Order matters: headers first (so even refusals carry them), then the Host check (400 before
  // any route), then the HTTPS redirect (to a host we know is ours).
  void app.register(securityHeadersPlugin, { headers });
  void app.register(allowedHostsPlugin, { allowedHosts: settings.allowedHosts });
  if (settings.secureSslRedirect) void app.register(httpsRedirectPlugin);
  void app.register(errorHandlerPlugin, htmlErrors);

  void app.register(healthRoutes, { readiness: container.readiness });
  void app.register(staticFilesPlugin, { settings });
  void app.register(cspReportRoutes);
  // Never public by default: the token, or a listener of its own (decision 0022).
  if (settings.metricsToken && !settings.metricsListen) {
    void app.register(metricsRoutes, {
      token: settings.metricsToken,
      scrape: options.scrapeMetrics ?? (() => metrics.text()),
      contentType: metrics.contentType,
    });
  }
  // /<code> and /<username>/<slug>: fixed paths of the other scopes win over these patterns.
  void app.register(redirectRoutes, {
    links: container.links,
    linkChanges: container.linkChanges,
    clicks: container.clickSink,
    cache: { ttlMs: settings.redirectCacheTtl },
    metrics: {
      timing: metrics.redirectTiming,
      watchCache: (stats) => {
        metrics.watchRedirects(stats);
      },
    },
  });

  void app.register(
    async (api) => {
      await api.register(corsPlugin, { allowedOrigins: settings.corsAllowedOrigins });
      await api.register(errorHandlerPlugin, jsonErrors);
      await api.register(inputTextPlugin);
      await api.register(apiV1, {
        prefix: '/v1',
        apiTokens: container.apiTokens,
        links: container.links,
        stats: container.stats,
        dataExport: container.dataExport,
        siteUrl: settings.siteUrl,
        rateLimit: settings.apiRateLimit,
        rateLimitStore: container.rateLimits,
      });
    },
    { prefix: '/api' },
  );

  // The staff dashboard inspects, retries and removes failed jobs; it never holds the queue
  // adapter itself (nothing of the site enqueues: module services do, through their ports).
  const { jobs } = container;
  const queueInspection: QueueInspection = {
    overview: (options) => jobs.overview(options),
    retryFailed: (queue, jobId) => jobs.retryFailed(queue, jobId),
    removeFailed: (queue, jobId) => jobs.removeFailed(queue, jobId),
  };
  void app.register(siteScope, {
    settings,
    sessions: container.sessions,
    users: container.users,
    passwordReset: container.passwordReset,
    invitations: container.invitations,
    emailVerification: container.emailVerification,
    apiTokens: container.apiTokens,
    links: container.links,
    stats: container.stats,
    dataExport: container.dataExport,
    accountDeletion: container.accountDeletion,
    jobs: queueInspection,
  });
  return app;
}
