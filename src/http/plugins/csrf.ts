import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ForbiddenError } from '#src/lib/errors.ts';
import { maskUrl } from '#src/lib/log-safety.ts';
import type { Settings } from '#src/settings/index.ts';
import { cookieSpec, readSignedCookie, type CookieSpec } from './cookies.ts';

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Replaces this browser's CSRF secret (at login and logout) and returns the new one; forms
     * rendered before no longer verify.
     */
    rotateCsrfSecret(): string;
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CSRF_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60;

const FAILURE_MESSAGE =
  'This form could not be verified, so nothing was changed. Reload the page and submit it again.';

interface CsrfState {
  readonly reply: FastifyReply;
  /** The secret in the signed CSRF cookie (or the one issued during this request). */
  cookieSecret: string | null;
}

const states = new WeakMap<FastifyRequest, CsrfState>();

/**
 * A token is a random nonce and its HMAC under the secret. A fresh nonce per page means the
 * token differs on every response (no BREACH-style recovery through compression), while any
 * token made from the secret verifies.
 */
export function csrfTokenFor(secret: string): string {
  const nonce = randomBytes(16).toString('base64url');
  return `${nonce}.${createHmac('sha256', secret).update(nonce).digest('base64url')}`;
}

export function csrfTokenMatches(secret: string, token: string): boolean {
  const [nonce, mac, extra] = token.split('.');
  if (!nonce || !mac || extra !== undefined) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(nonce).digest('base64url'));
  const actual = Buffer.from(mac);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function originOf(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** Why the request's Origin (or Referer) is not one we accept, or null when it is. */
function originProblem(request: FastifyRequest, trusted: ReadonlySet<string>): string | null {
  const { origin, referer } = request.headers;
  const own = originOf(`${request.protocol}://${request.host}`);
  const accepts = (value: string | null) => value !== null && (value === own || trusted.has(value));
  if (origin !== undefined) {
    return accepts(originOf(origin)) ? null : 'foreign origin';
  }
  if (referer !== undefined) {
    return accepts(originOf(referer)) ? null : 'foreign referer';
  }
  // Browsers send Origin with every form POST; only over HTTPS can we insist on a Referer
  // without refusing privacy-minded clients on plain HTTP (Django's rule).
  return request.protocol === 'https' ? 'no origin or referer' : null;
}

/**
 * CSRF protection for every state-changing request of the site scope (the API authenticates by
 * bearer token and CSP reports are posted by browsers on their own: neither is in it): the Origin (or Referer) must
 * be this site, SITE_URL or a CSRF_TRUSTED_ORIGINS entry, and the form's `_csrf` field (or an
 * `x-csrf-token` header) must be a token made from this browser's secret. Signed in, that secret
 * is the session's (stored with it, replaced at login); before, it lives in a signed cookie, so
 * the login and sign-up forms are protected too. Failures are 403 and the handler never runs.
 */
export const csrfPlugin = fp<{ settings: Settings }>(
  (app, { settings }, done) => {
    const cookie: CookieSpec = cookieSpec('hoplink_csrf', settings.csrfCookieSecure);
    const trusted = new Set(
      [settings.siteUrl, ...settings.csrfTrustedOrigins]
        .map(originOf)
        .filter((origin) => origin !== null),
    );

    function issue(state: CsrfState): string {
      const secret = randomBytes(32).toString('base64url');
      state.cookieSecret = secret;
      void state.reply.setCookie(cookie.name, secret, {
        ...cookie.options,
        maxAge: CSRF_COOKIE_MAX_AGE_S,
      });
      return secret;
    }

    function stateOf(request: FastifyRequest): CsrfState {
      const state = states.get(request);
      if (!state) throw new Error('the CSRF plugin did not see this request');
      return state;
    }

    /** The secret the request's token must come from. */
    function expectedSecret(request: FastifyRequest): string | null {
      return request.session?.csrfSecret ?? states.get(request)?.cookieSecret ?? null;
    }

    app.decorateRequest('csrfToken', function (this: FastifyRequest) {
      const state = states.get(this);
      // A request refused before our hook ran (a bad Host) renders no working form anyway.
      if (!state) return '';
      return csrfTokenFor(expectedSecret(this) ?? issue(state));
    });
    app.decorateReply('rotateCsrfSecret', function (this: FastifyReply) {
      return issue(stateOf(this.request));
    });

    app.addHook('onRequest', (request, reply, next) => {
      const found = readSignedCookie(request, cookie.name);
      const state: CsrfState = { reply, cookieSecret: found?.value ?? null };
      states.set(request, state);
      if (found?.resign) {
        void reply.setCookie(cookie.name, found.value, {
          ...cookie.options,
          maxAge: CSRF_COOKIE_MAX_AGE_S,
        });
      }
      next();
    });

    // preValidation: after the body is parsed (the token is a form field), before the schema
    // and the handler, so a forged request changes nothing.
    app.addHook('preValidation', (request, _reply, next) => {
      const path = request.url.split('?')[0] ?? '/';
      if (
        !UNSAFE_METHODS.has(request.method) ||
        // No route, nothing to change: the 404 or 405 answer is the right one.
        request.is404
      ) {
        next();
        return;
      }
      const body = request.body as Record<string, unknown> | null | undefined;
      const field = typeof body === 'object' && body !== null ? body._csrf : undefined;
      const header = request.headers['x-csrf-token'];
      const token = typeof field === 'string' ? field : typeof header === 'string' ? header : '';
      const secret = expectedSecret(request);
      const problem =
        originProblem(request, trusted) ??
        (secret === null
          ? 'no CSRF cookie'
          : token === ''
            ? 'no token'
            : csrfTokenMatches(secret, token)
              ? null
              : 'wrong token');
      if (problem === null) {
        next();
        return;
      }
      request.log.warn({ reason: problem, path: maskUrl(path) }, 'CSRF check failed');
      next(new ForbiddenError(FAILURE_MESSAGE));
    });
    done();
  },
  { name: 'hoplink-csrf', dependencies: ['hoplink-cookies'] },
);
