import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MethodNotAllowedError, NotFoundError, STATUS_MESSAGES } from '#src/lib/errors.ts';
import { errorPage } from '#src/http/pages/views/error-page.ts';
import { redactUrl } from './request-log.ts';

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

function isApiRequest(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

/** Sends an error as JSON on the API and as a friendly page elsewhere; logs it once. */
export function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { debug: boolean },
): FastifyReply {
  const publicError = toPublicError(error);
  if (publicError.statusCode >= 500) {
    request.log.error(
      {
        err: error,
        request: { method: request.method, url: redactUrl(request.url), headers: request.headers },
      },
      'request failed',
    );
  } else {
    request.log.debug(
      { code: publicError.code, statusCode: publicError.statusCode },
      'client error',
    );
  }
  const allow = (error as ErrorLike | null)?.allow;
  if (Array.isArray(allow)) reply.header('allow', allow.join(', '));
  if (publicError.statusCode === 429 && !reply.hasHeader('retry-after'))
    reply.header('retry-after', '60');
  reply.code(publicError.statusCode);
  const debugDetail =
    options.debug && error instanceof Error ? (error.stack ?? error.message) : undefined;

  if (isApiRequest(request)) {
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
    errorPage({
      statusCode: publicError.statusCode,
      requestId: request.id,
      ...(debugDetail ? { debugDetail } : {}),
      assetUrl: request.server.assetUrl,
    }),
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

export const errorHandlerPlugin = fp<{ debug: boolean }>(
  (app, { debug }, done) => {
    app.setErrorHandler((error: FastifyError, request, reply) =>
      sendError(error, request, reply, { debug }),
    );
    app.setNotFoundHandler((request, reply) =>
      sendError(notFoundOrMethodNotAllowed(app, request), request, reply, { debug }),
    );
    done();
  },
  { name: 'hoplink-error-handler' },
);
