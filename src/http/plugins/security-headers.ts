import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Settings } from '#src/settings/index.ts';

export interface SecurityHeaders {
  /** Sent on every response. */
  readonly always: Readonly<Record<string, string>>;
  /** Strict-Transport-Security, sent only on HTTPS responses (as browsers ignore it on HTTP). */
  readonly hsts: string | null;
}

/** Computes every header value once from the settings; requests only copy them. */
export function securityHeaders(settings: Settings): SecurityHeaders {
  const frameAncestors = settings.xFrameOptions === 'DENY' ? "'none'" : "'self'";
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors}`,
    ...(settings.tls ? ['upgrade-insecure-requests'] : []),
    ...(settings.cspReportUri ? [`report-uri ${settings.cspReportUri}`] : []),
  ].join('; ');

  const always: Record<string, string> = {
    [settings.cspReportOnly ? 'content-security-policy-report-only' : 'content-security-policy']:
      csp,
    'x-frame-options': settings.xFrameOptions,
    'cross-origin-resource-policy': 'same-origin',
  };
  if (settings.secureContentTypeNosniff) always['x-content-type-options'] = 'nosniff';
  if (settings.secureReferrerPolicy) always['referrer-policy'] = settings.secureReferrerPolicy;
  if (settings.secureCrossOriginOpenerPolicy) {
    always['cross-origin-opener-policy'] = settings.secureCrossOriginOpenerPolicy;
  }

  let hsts: string | null = null;
  if (settings.secureHstsSeconds > 0) {
    hsts = `max-age=${settings.secureHstsSeconds}`;
    if (settings.secureHstsIncludeSubdomains) hsts += '; includeSubDomains';
    if (settings.secureHstsPreload) hsts += '; preload';
  }
  return { always: Object.freeze(always), hsts };
}

/** Applies the precomputed headers and the request id; also used for framework-level errors. */
export function applySecurityHeaders(
  headers: SecurityHeaders,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.headers(headers.always);
  reply.header('x-request-id', request.id);
  if (headers.hsts !== null && request.protocol === 'https')
    reply.header('strict-transport-security', headers.hsts);
}

export const securityHeadersPlugin = fp<{ headers: SecurityHeaders }>(
  (app, { headers }, done) => {
    app.addHook('onRequest', (request, reply, next) => {
      applySecurityHeaders(headers, request, reply);
      next();
    });
    done();
  },
  { name: 'hoplink-security-headers' },
);
