import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { RateLimitedError } from '#src/lib/errors.ts';
import type { RateLimitStore } from '#src/lib/rate-limiter.ts';
import type { ApiTokensService } from '#src/modules/accounts/index.ts';
import type { DataExportService, StatsService } from '#src/modules/analytics/index.ts';
import type { LinksService } from '#src/modules/links/index.ts';
import { identifyBearer, requireApiAccess } from './bearer-auth.ts';
import { exportApiRoutes } from './export.routes.ts';
import { linksApiRoutes } from './links.routes.ts';
import { meApiRoutes } from './me.routes.ts';
import { createOpenApiCollector } from './openapi.ts';
import {
  zodSerializerCompiler,
  zodValidatorCompiler,
  type ZodTypeProvider,
} from './zod-compilers.ts';

export interface ApiOptions {
  readonly apiTokens: Pick<ApiTokensService, 'authenticate'>;
  readonly links: LinksService;
  readonly stats: Pick<StatsService, 'stats'>;
  readonly dataExport: Pick<DataExportService, 'export' | 'fileName'>;
  readonly siteUrl: string;
  /** API_RATE_LIMIT: requests per minute per token (per IP without a valid one). */
  readonly rateLimit: number;
  /** Where the API's requests are counted: the container's store, shared by every process. */
  readonly rateLimitStore: RateLimitStore;
}

const RATE_WINDOW_MS = 60_000;
const OPENAPI_CACHE_CONTROL = 'public, max-age=300';

/**
 * @fastify/rate-limit's store interface over our RateLimitStore, so the API counts where logins
 * do (Redis in production) while the plugin keeps writing the RateLimit-* and Retry-After
 * headers. A store out of reach rejects with a 503, which the plugin passes on: the API fails
 * closed, as the login does.
 */
function sharedStore(store: RateLimitStore): FastifyRateLimitStoreCtor {
  return class SharedRateLimitStore {
    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
      max: number,
    ): void {
      store.consume(`api:${key}`, max, timeWindow).then(
        (decision) => {
          const current = decision.allowed ? max - decision.remaining : max + 1;
          callback(null, { current, ttl: decision.retryAfterMs });
        },
        (error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)));
        },
      );
    }

    child(): this {
      return this;
    }
  };
}

/**
 * The JSON API v1, registered under /api/v1. Each request runs: identify the bearer token →
 * rate limit (keyed by token, else IP; RateLimit-* headers on every answer) → refuse without a
 * valid token or scope → parse (JSON only: 415 otherwise) → validate with the route's zod
 * schemas → handler → serialize through the response schema.
 */
export const apiV1: FastifyPluginAsync<ApiOptions> = async (app, options) => {
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);
  // The pages accept forms; the API takes JSON only, so anything else is a 415 here.
  app.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain']);

  app.decorateRequest('apiToken', null);
  app.addHook('onRequest', identifyBearer(options.apiTokens));
  await app.register(rateLimit, {
    global: false,
    enableDraftSpec: true,
    max: options.rateLimit,
    timeWindow: RATE_WINDOW_MS,
    store: sharedStore(options.rateLimitStore),
    keyGenerator: (request) =>
      request.apiToken ? `token:${request.apiToken.tokenId}` : `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(`Too many requests; try again in ${context.after}.`),
  });
  app.addHook('onRequest', app.rateLimit());
  app.addHook('onRequest', requireApiAccess);

  const openapi = createOpenApiCollector({ siteUrl: options.siteUrl });
  app.addHook('onRoute', (route) => {
    openapi.add(route);
  });

  app.withTypeProvider<ZodTypeProvider>().get(
    '/openapi.json',
    {
      config: { apiAccess: 'public' },
      schema: {
        operationId: 'getOpenApi',
        summary: 'This document',
        tags: ['meta'],
        response: {
          200: z.looseObject({ openapi: z.string() }).meta({ description: 'OpenAPI 3.1' }),
        },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', OPENAPI_CACHE_CONTROL);
      return openapi.document() as { openapi: string };
    },
  );
  await app.register(meApiRoutes);
  await app.register(exportApiRoutes, { dataExport: options.dataExport });
  await app.register(linksApiRoutes, {
    links: options.links,
    stats: options.stats,
    siteUrl: options.siteUrl,
  });
};
