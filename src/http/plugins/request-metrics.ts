import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import type { Logger } from '#src/lib/logger.ts';
import { RequestLogController } from './request-log.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route counts its own requests (the redirect: decision 0022). */
    requestMetrics?: false;
  }
  interface FastifyRequest {
    /**
     * Decorated (as a getter) by a scope that times its requests in a histogram of its own (the
     * redirect); MeteredRequestLog observes each response's elapsed time into it.
     */
    readonly requestTiming?: { observe(seconds: number): void };
  }
}

/** Observes one route's requests: method, status and seconds taken. */
export type RouteObserver = (method: string, statusCode: number, seconds: number) => void;

/** The metrics port the web layer sees; the composition gives it prom-client behind it. */
export interface RequestMetrics {
  /** Bound once per route, when it is registered: no label is built per request. */
  forRoute(route: string): RouteObserver;
}

/** The route label of requests no route matched (404s and 405s of the not-found handler). */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * Gives every route registered from now on an onResponse hook that counts and times it, unless
 * its config says `requestMetrics: false`. Per route, not one hook at the root: a route without
 * the hook (the redirect) pays nothing at all. Call it before registering the routes.
 */
export function instrumentRoutes(app: FastifyInstance, metrics: RequestMetrics): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.requestMetrics === false) return;
    const observe = metrics.forRoute(route.url);
    const hook: onResponseHookHandler = (request, reply, done) => {
      // The response has finished: elapsedTime reads the end time Fastify already took.
      observe(request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    const existing = route.onResponse;
    route.onResponse =
      existing === undefined
        ? [hook]
        : [...(Array.isArray(existing) ? existing : [existing]), hook];
  });
}

/**
 * The request log, also timing the scopes that decorate `requestTiming` (the redirect) and
 * counting what no route matched (the not-found handler has no route to hook). The log
 * controller is called for every response anyway, once Fastify has taken the end time: this adds
 * no clock read, only two property reads and, for the redirect, one FixedHistogram observation.
 */
export class MeteredRequestLog extends RequestLogController {
  private readonly unmatched: RouteObserver;

  constructor(logger: Logger, options: { redirectSampleRate: number }, metrics: RequestMetrics) {
    super(logger, options);
    this.unmatched = metrics.forRoute(UNMATCHED_ROUTE);
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    super.requestCompleted(error, request, reply);
    const timing = request.requestTiming;
    if (timing) timing.observe(reply.elapsedTime / 1000);
    else if (request.is404)
      this.unmatched(request.method, reply.statusCode, reply.elapsedTime / 1000);
  }
}
