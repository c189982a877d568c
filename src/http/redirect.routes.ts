import type {
  FastifyBaseLogger,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
import { lazyChildLogger } from '#src/lib/lazy-logger.ts';
import {
  clickHeader,
  createClickEventIds,
  RAW_REFERRER_MAX_LENGTH,
  RAW_USER_AGENT_MAX_LENGTH,
  type ClickSink,
} from '#src/modules/analytics/index.ts';
import {
  createRedirectCache,
  type LinkChanges,
  type LinksService,
  type RedirectCache,
  type RedirectCacheOptions,
  type RedirectStatus,
  type RedirectTarget,
} from '#src/modules/links/index.ts';
import { errorPage } from './pages/views/error-page.ts';

export interface RedirectRoutesOptions {
  readonly links: Pick<LinksService, 'resolve' | 'resolveSlug'>;
  /** Every link change, from this process and (with Redis) every other one. */
  readonly linkChanges: Pick<LinkChanges, 'subscribe'>;
  readonly clicks: ClickSink;
  readonly cache?: RedirectCacheOptions;
  readonly metrics?: RedirectMetrics;
}

/** What the redirect tells the metrics (decision 0022): no work of its own per request. */
export interface RedirectMetrics {
  /** Each redirect's seconds from routing to the response's end; must not allocate. */
  readonly timing: { observe(seconds: number): void };
  /** Given the cache's counters once, to read at scrape time. */
  readonly watchCache: (stats: RedirectCache['stats']) => void;
}

// Permanent redirects may be cached by browsers (briefly, and never by shared caches); 302/307
// must reach us every time so every click counts. See docs/decisions/0004-redirect-caching.md.
// One frozen block per status, written with one call: the headers every redirect shares.
const REDIRECT_HEADERS: Readonly<Record<RedirectStatus, Readonly<Record<string, string>>>> = {
  301: Object.freeze({ 'cache-control': 'private, max-age=90', 'x-robots-tag': 'noindex' }),
  308: Object.freeze({ 'cache-control': 'private, max-age=90', 'x-robots-tag': 'noindex' }),
  302: Object.freeze({ 'cache-control': 'no-store', 'x-robots-tag': 'noindex' }),
  307: Object.freeze({ 'cache-control': 'no-store', 'x-robots-tag': 'noindex' }),
};
// Exactly the headers of any other 404: an unknown code must not look different from, say, a
// path of the staff area refused to a visitor (which would give that path away).
const NOT_FOUND_HEADERS = Object.freeze({ 'content-type': 'text/html; charset=utf-8' });

// No pattern here: a malformed code is a 404 like any unknown one, not a 400.
const pathPart = { type: 'string' } as const;

function childLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  childOptions: ChildLoggerOptions,
): FastifyBaseLogger {
  return lazyChildLogger(logger, bindings, childOptions);
}

/** A marker the request id replaces in the pre-rendered 404 page (ids are [A-Za-z0-9._:-]). */
const REQUEST_ID_SLOT = 'REQUESTIDSLOT7f3a';

/**
 * The hot path: `/<code>` and `/<username>/<slug>`, at the root scope so none of the site's
 * hooks (forms, cookies, CSRF, sessions) run for it. Answered from the in-process cache with
 * no database write; the click goes to the sink raw, to be parsed by the worker.
 */
export const redirectRoutes: FastifyPluginCallback<RedirectRoutesOptions> = (
  app,
  options,
  done,
) => {
  const cache = createRedirectCache(options.links, {
    onAvailability: (available, error) => {
      if (available) app.log.info('links can be looked up again: the redirect is back to normal');
      else
        app.log.warn(
          { err: error },
          'links cannot be looked up: cached links keep redirecting, uncached codes answer 503',
        );
    },
    ...options.cache,
  });
  const unsubscribe = options.linkChanges.subscribe((change) => {
    if (change === 'all') cache.expireAll();
    else cache.forget(change);
  });
  app.addHook('onClose', (_instance, next) => {
    unsubscribe();
    next();
  });
  const nextEventId = createClickEventIds();
  if (options.metrics) {
    const { timing } = options.metrics;
    options.metrics.watchCache(cache.stats);
    // The log controller times every request of this scope with the end time Fastify took
    // anyway: no clock read here (one costs ~0.2 µs on some VMs), nothing written per request.
    app.decorateRequest('requestTiming', { getter: () => timing });
  }

  // The friendly 404 is the same page for every unknown code but its reference: rendered once.
  let notFoundParts: readonly string[] | null = null;
  function sendNotFound(request: FastifyRequest, reply: FastifyReply) {
    notFoundParts ??= errorPage({
      statusCode: 404,
      requestId: REQUEST_ID_SLOT,
      assetUrl: app.assetUrl,
      signUpOpen: app.signUpOpen,
    }).split(REQUEST_ID_SLOT);
    return reply.code(404).headers(NOT_FOUND_HEADERS).send(notFoundParts.join(request.id));
  }

  function redirect(request: FastifyRequest, reply: FastifyReply, target: RedirectTarget | null) {
    // Unknown, disabled and expired links all look the same: the friendly 404 page.
    if (!target) return sendNotFound(request, reply);
    void reply
      .code(target.redirectStatus)
      .headers(REDIRECT_HEADERS[target.redirectStatus])
      .header('location', target.targetUrl);
    // HEAD (link checkers, previews) answers the same headers but is not a click.
    if (request.method === 'GET') {
      options.clicks.capture({
        eventId: nextEventId(),
        linkId: target.linkId,
        clickedAt: Date.now(),
        referrer: clickHeader(request.headers.referer, RAW_REFERRER_MAX_LENGTH),
        userAgent: clickHeader(request.headers['user-agent'], RAW_USER_AGENT_MAX_LENGTH),
        ip: request.ip,
      });
    }
    return reply.send();
  }

  // The access line is sampled, and the request's child logger made only if something logs.
  // Outcomes are counted by the cache and the time by `timing`, not by the per-route hook.
  const routeOptions = {
    config: { accessLog: 'redirect', requestMetrics: false },
    childLoggerFactory,
  } as const;
  app.get<{ Params: { code: string } }>(
    '/:code',
    {
      ...routeOptions,
      schema: { params: { type: 'object', properties: { code: pathPart }, required: ['code'] } },
    },
    async (request, reply) => redirect(request, reply, await cache.byCode(request.params.code)),
  );
  app.get<{ Params: { username: string; slug: string } }>(
    '/:username/:slug',
    {
      ...routeOptions,
      schema: {
        params: {
          type: 'object',
          properties: { username: pathPart, slug: pathPart },
          required: ['username', 'slug'],
        },
      },
    },
    async (request, reply) =>
      redirect(request, reply, await cache.bySlug(request.params.username, request.params.slug)),
  );
  done();
};
