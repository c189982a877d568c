import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AssetUrl } from '#src/http/assets/asset-manifest.ts';
import {
  AppError,
  MethodNotAllowedError,
  NotFoundError,
  STATUS_MESSAGES,
} from '#src/lib/errors.ts';
import { reportError } from '#src/lib/error-tracking.ts';
import { maskUrl } from '#src/lib/log-safety.ts';

const PROBE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

interface ErrorLike {
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly details?: unknown;
  readonly validation?: unknown;
  readonly allow?: unknown;
  readonly expose?: unknown;
}

/** The client-facing shape of any error: what status, code and message may be shown. */
export interface PublicError {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

/**
 * Maps any thrown value to what a client may see. Our AppErrors (code + status) show their own
 * message; framework 4xx errors get our wording (their messages name internals); everything
 * else is a generic 500.
 */
export function toPublicError(error: unknown): PublicError {
  const candidate = (error ?? {}) as ErrorLike;
  const statusCode =
    typeof candidate.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 600
      ? candidate.statusCode
      : 500;
  const generic = STATUS_MESSAGES[statusCode] ?? {
    code: statusCode < 500 ? 'bad_request' : 'internal_error',
    message: statusCode < 500 ? 'The request is not valid.' : 'Something went wrong on our side.',
  };
  if (statusCode >= 500) return { statusCode, ...generic };
  const isOurs = typeof candidate.code === 'string' && /^[a-z][a-z0-9_]*$/.test(candidate.code);
  if (isOurs && typeof candidate.message === 'string') {
    return {
      statusCode,
      code: candidate.code,
      message: candidate.message,
      ...(candidate.details === undefined ? {} : { details: candidate.details }),
    };
  }
  if (Array.isArray(candidate.validation)) {
    return {
      statusCode,
      code: 'validation_failed',
      message: 'Some fields are not valid.',
      details: (candidate.validation as { instancePath?: string; message?: string }[]).map(
        (issue) => ({
          field: (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.'),
          message: issue.message ?? 'is not valid',
        }),
      ),
    };
  }
  return { statusCode, ...generic };
}

/** What an HTML error page shows. */
export interface ErrorPageContent {
  readonly statusCode: number;
  readonly requestId: string;
  /** Only when DEBUG is on: the error's message and stack. */
  readonly debugDetail?: string;
  /** The app's asset URLs, when the static files plugin has decorated the instance. */
  readonly assetUrl?: AssetUrl;
  /** A refusal's details (`{ field, message }` items name the fields of a 400). */
  readonly details?: unknown;
}

/**
 * Draws the error page: the site's view, handed in by whoever registers the plugin. It gets the
 * request too, for what the scope the error happened in knows (the signed-in user, say).
 */
export type ErrorPageRenderer = (content: ErrorPageContent, request: FastifyRequest) => string;

/**
 * How a scope answers errors: JSON for the API, friendly pages for the site and the redirect,
 * drawn by `renderPage` (a plugin is unaware of the scopes that use it, their views included).
 */
export type ErrorHandlerOptions =
  | { readonly debug: boolean; readonly format: 'json' }
  | { readonly debug: boolean; readonly format: 'html'; readonly renderPage: ErrorPageRenderer };

/** Sends an error in the scope's format and logs it once. */
export function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  options: ErrorHandlerOptions,
): FastifyReply {
  const publicError = toPublicError(error);
  // A 503 of ours is a dependency's state, logged once where it changes, not once per request.
  const expectedOutage = publicError.statusCode === 503 && error instanceof AppError;
  if (publicError.statusCode >= 500 && !expectedOutage) {
    request.log.error(
      {
        err: error,
        request: {
          method: request.method,
          url: maskUrl(request.url),
          // Credentials in headers are redacted by the logger; a Referer is a URL like ours.
          headers: {
            ...request.headers,
            ...(request.headers.referer ? { referer: maskUrl(request.headers.referer) } : {}),
          },
        },
      },
      'request failed',
    );
    // Only what nobody expected reaches error tracking: a 4xx is the client's, a 503 an outage.
    reportError(error, {
      tags: { request_id: request.id },
      request: { method: request.method, url: request.url },
    });
  } else {
    request.log.debug(
      { code: publicError.code, statusCode: publicError.statusCode },
      'client error',
    );
  }
  const allow = (error as ErrorLike | null)?.allow;
  if (Array.isArray(allow)) reply.header('allow', allow.join(', '));
  // Any error that knows when to come back says so (rate limits, a dependency down).
  const retryAfter = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
  if (typeof retryAfter === 'number' && !reply.hasHeader('retry-after')) {
    reply.header('retry-after', String(retryAfter));
  }
  if (publicError.statusCode === 429 && !reply.hasHeader('retry-after'))
    reply.header('retry-after', '60');
  reply.code(publicError.statusCode);
  const debugDetail =
    options.debug && error instanceof Error ? (error.stack ?? error.message) : undefined;

  if (options.format === 'json') {
    return reply.type('application/json; charset=utf-8').send({
      error: {
        code: publicError.code,
        message: publicError.message,
        ...(publicError.details === undefined ? {} : { details: publicError.details }),
        ...(debugDetail ? { debug: debugDetail } : {}),
        requestId: request.id,
      },
    });
  }
  return reply.type('text/html; charset=utf-8').send(
    options.renderPage(
      {
        statusCode: publicError.statusCode,
        requestId: request.id,
        ...(debugDetail ? { debugDetail } : {}),
        assetUrl: request.server.assetUrl,
        details: publicError.details,
      },
      request,
    ),
  );
}

/** 405 with Allow when the path exists for other methods, 404 otherwise. */
function notFoundOrMethodNotAllowed(app: FastifyInstance, request: FastifyRequest): Error {
  const path = request.url.split('?')[0] ?? '/';
  // findRoute's types omit it, but it returns null when nothing matches.
  const allow = PROBE_METHODS.filter((method) => {
    const route: unknown = app.findRoute({ method, url: path });
    return route !== null;
  });
  return allow.length > 0 ? new MethodNotAllowedError(allow) : new NotFoundError();
}

/**
 * The error and not-found handlers of the scope that registers it (fastify-plugin lifts them
 * out of this plugin into that scope): the root answers pages, the API scope JSON.
 */
export const errorHandlerPlugin = fp<ErrorHandlerOptions>(
  (app, options, done) => {
    app.setErrorHandler((error: FastifyError, request, reply) =>
      sendError(error, request, reply, options),
    );
    app.setNotFoundHandler((request, reply) =>
      sendError(notFoundOrMethodNotAllowed(app, request), request, reply, options),
    );
    done();
  },
  { name: 'hoplink-error-handler' },
);
