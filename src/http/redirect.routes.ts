import { randomUUID } from 'node:crypto';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '#src/lib/errors.ts';
import {
  clickHeader,
  RAW_REFERRER_MAX_LENGTH,
  RAW_USER_AGENT_MAX_LENGTH,
  type ClickSink,
} from '#src/modules/analytics/index.ts';
import {
  createRedirectCache,
  type LinkChanges,
  type LinksService,
  type RedirectCacheOptions,
  type RedirectStatus,
  type RedirectTarget,
} from '#src/modules/links/index.ts';

export interface RedirectRoutesOptions {
  readonly links: Pick<LinksService, 'resolve' | 'resolveSlug'>;
  /** Edits in this process reach the cache at once; other processes see them after the TTL. */
  readonly linkChanges: Pick<LinkChanges, 'subscribe'>;
  readonly clicks: ClickSink;
  readonly cache?: RedirectCacheOptions;
}

// Permanent redirects may be cached by browsers (briefly, and never by shared caches); 302/307
// must reach us every time so every click counts. See docs/decisions/0004-redirect-caching.md.
const CACHE_CONTROL: Readonly<Record<RedirectStatus, string>> = {
  301: 'private, max-age=90',
  308: 'private, max-age=90',
  302: 'no-store',
  307: 'no-store',
};

// No pattern here: a malformed code is a 404 like any unknown one, not a 400.
const pathPart = { type: 'string' } as const;
// A redirect shows no user: skip the session lookup (and its sliding-expiry write).
const config = { session: false };

/**
 * The hot path: `/<code>` and `/<username>/<slug>`, answered from an in-process cache with no
 * database write; the click goes to the sink raw, to be parsed away from the response.
 * Registered last, so every fixed path wins over these patterns.
 */
export const redirectRoutes: FastifyPluginCallback<RedirectRoutesOptions> = (
  app,
  options,
  done,
) => {
  // With several worker processes, an edit made in one reaches the others' caches only when
  // their entries expire: hence the short TTL (30 s); the queue issue can broadcast changes.
  const cache = createRedirectCache(options.links, options.cache);
  const unsubscribe = options.linkChanges.subscribe(cache.forget);
  app.addHook('onClose', (_instance, next) => {
    unsubscribe();
    next();
  });

  function redirect(request: FastifyRequest, reply: FastifyReply, target: RedirectTarget | null) {
    // Unknown, disabled and expired links all look the same: the friendly 404 page.
    if (!target) throw new NotFoundError('There is no link at this address.');
    void reply
      .code(target.redirectStatus)
      .header('location', target.targetUrl)
      .header('x-robots-tag', 'noindex')
      .header('cache-control', CACHE_CONTROL[target.redirectStatus]);
    // HEAD (link checkers, previews) answers the same headers but is not a click.
    if (request.method === 'GET') {
      options.clicks.capture({
        eventId: randomUUID(),
        linkId: target.linkId,
        clickedAt: Date.now(),
        referrer: clickHeader(request.headers.referer, RAW_REFERRER_MAX_LENGTH),
        userAgent: clickHeader(request.headers['user-agent'], RAW_USER_AGENT_MAX_LENGTH),
        ip: request.ip,
      });
    }
    return reply.send();
  }

  app.get<{ Params: { code: string } }>(
    '/:code',
    {
      config,
      schema: { params: { type: 'object', properties: { code: pathPart }, required: ['code'] } },
    },
    async (request, reply) => redirect(request, reply, await cache.byCode(request.params.code)),
  );
  app.get<{ Params: { username: string; slug: string } }>(
    '/:username/:slug',
    {
      config,
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
