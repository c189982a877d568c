import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Container } from '#src/container.ts';
import { apiV1 } from './api/index.ts';
import { cspReportRoutes } from './csp-report.routes.ts';
import { healthRoutes } from './health.routes.ts';
import { accountsRoutes } from './pages/accounts.routes.ts';
import { adminRoutes } from './pages/admin.routes.ts';
import { homeRoutes } from './pages/home.routes.ts';
import { linksRoutes } from './pages/links.routes.ts';
import { tokensRoutes } from './pages/tokens.routes.ts';
import { allowedHostsPlugin } from './plugins/allowed-hosts.ts';
import { cookiesPlugin } from './plugins/cookies.ts';
import { corsPlugin } from './plugins/cors.ts';
import { csrfPlugin } from './plugins/csrf.ts';
import { errorHandlerPlugin, sendError } from './plugins/error-handler.ts';
import { httpsRedirectPlugin } from './plugins/https-redirect.ts';
import { generateRequestId } from './plugins/request-id.ts';
import { RequestLogController } from './plugins/request-log.ts';
import { sessionPlugin } from './plugins/session.ts';
import { staticFilesPlugin } from './plugins/static-files.ts';
import {
  applySecurityHeaders,
  securityHeaders,
  securityHeadersPlugin,
} from './plugins/security-headers.ts';
import { redirectRoutes } from './redirect.routes.ts';

const BARE_400 = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * Builds the web application. It never listens: `serve` attaches it to a socket, tests inject.
 * Cross-cutting plugins are registered here, in the order they run.
 */
export function buildServer(container: Container): FastifyInstance {
  const { settings } = container;
  const headers = securityHeaders(settings);
  // pino's Logger is a FastifyBaseLogger; naming the wider type keeps the instance's generics plain.
  const logger: FastifyBaseLogger = container.logger;
  const app = Fastify({
    loggerInstance: logger,
    logController: new RequestLogController(container.logger),
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
    ...(settings.tls ? { https: { cert: settings.tls.cert, key: settings.tls.key.reveal() } } : {}),
    // Malformed HTTP never reaches Fastify's router: answer without naming the framework.
    clientErrorHandler: (_error, socket) => {
      if (socket.writable) socket.end(BARE_400);
      else socket.destroy();
    },
    // Errors raised before routing (a malformed URL, say) get the same headers and body as any.
    frameworkErrors: (error, request, reply) => {
      applySecurityHeaders(headers, request, reply);
      sendError(error, request, reply, { debug: settings.debug });
    },
  });
  app.server.headersTimeout = Math.min(settings.serverRequestTimeout, 60_000);

  // Order matters: headers first (so even refusals carry them), then the Host check (400 before
  // any route), then the HTTPS redirect (to a host we know is ours), then CORS.
  void app.register(securityHeadersPlugin, { headers });
  void app.register(allowedHostsPlugin, { allowedHosts: settings.allowedHosts });
  if (settings.secureSslRedirect) void app.register(httpsRedirectPlugin);
  void app.register(corsPlugin, { allowedOrigins: settings.corsAllowedOrigins });
  void app.register(errorHandlerPlugin, { debug: settings.debug });
  // Then forms, signed cookies, CSRF (Origin + token on every state-changing form) and the
  // session that sets request.user, so every route below sees them.
  void app.register(formbody);
  void app.register(cookiesPlugin, { settings });
  void app.register(csrfPlugin, { settings });
  void app.register(sessionPlugin, { settings, sessions: container.sessions });

  void app.register(staticFilesPlugin, { settings });

  void app.register(healthRoutes, { container });
  void app.register(cspReportRoutes);
  void app.register(homeRoutes);
  void app.register(accountsRoutes, {
    users: container.users,
    passwordReset: container.passwordReset,
    passwordMinLength: settings.passwordMinLength,
  });
  void app.register(tokensRoutes, { apiTokens: container.apiTokens });
  void app.register(apiV1, {
    prefix: '/api/v1',
    apiTokens: container.apiTokens,
    links: container.links,
    stats: container.stats,
    siteUrl: settings.siteUrl,
    rateLimit: settings.apiRateLimit,
  });
  void app.register(linksRoutes, {
    links: container.links,
    stats: container.stats,
    siteUrl: settings.siteUrl,
    defaultRedirectStatus: settings.redirectStatus,
  });
  // Staff only, behind its own guard (ADMIN_ALLOWED_IPS, is_staff); a 404 to everyone else.
  void app.register(adminRoutes, {
    adminPath: settings.adminPath,
    allowedIps: settings.adminAllowedIps,
    jobs: container.jobs,
  });
  // Last: /<code> and /<username>/<slug> catch what no fixed path above has claimed.
  void app.register(redirectRoutes, {
    links: container.links,
    linkChanges: container.linkChanges,
    clicks: container.clickSink,
  });
  return app;
}
