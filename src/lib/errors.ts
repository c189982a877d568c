/**
 * The application's error hierarchy. Every error a client may see carries a stable `code` and an
 * HTTP `statusCode`; the HTTP error handler reads those two fields and nothing else, so adding an
 * error never means adding a branch there.
 */
export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly details: unknown;

  constructor(code: string, statusCode: number, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
    this.details = details;
  }
}

export class BadRequestError extends AppError {
  constructor(message = 'The request is not valid.', details?: unknown) {
    super('bad_request', 400, message, details);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super('validation_failed', 400, message, details);
  }
}

export class DisallowedHostError extends AppError {
  constructor() {
    super('disallowed_host', 400, 'The Host header of this request is not served here.');
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication is required.') {
    super('unauthorized', 401, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do that.') {
    super('forbidden', 403, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Nothing was found here.') {
    super('not_found', 404, message);
  }
}

export class MethodNotAllowedError extends AppError {
  readonly allow: readonly string[];

  constructor(allow: readonly string[]) {
    super('method_not_allowed', 405, `This resource only accepts ${allow.join(', ')}.`);
    this.allow = allow;
  }
}

export class RateLimitedError extends AppError {
  constructor(message = 'Too many requests; try again later.') {
    super('rate_limited', 429, message);
  }
}

/**
 * A dependency is down and the request cannot be answered now; `retryAfterSeconds` becomes the
 * Retry-After header. A 503 tells clients and caches "try again", where a 404 would say "gone".
 */
export class ServiceUnavailableError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(message = 'The service is unavailable; try again shortly.', retryAfterMs = 5_000) {
    super('unavailable', 503, message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}

/** Generic, client-safe wording for each status, used when the error itself must not be shown. */
export const STATUS_MESSAGES: Readonly<Record<number, { code: string; message: string }>> = {
  400: { code: 'bad_request', message: 'The request is not valid.' },
  401: { code: 'unauthorized', message: 'Authentication is required.' },
  403: { code: 'forbidden', message: 'You are not allowed to do that.' },
  404: { code: 'not_found', message: 'Nothing was found here.' },
  405: { code: 'method_not_allowed', message: 'This method is not allowed here.' },
  406: { code: 'not_acceptable', message: 'No acceptable representation is available.' },
  408: { code: 'request_timeout', message: 'The request took too long.' },
  413: { code: 'payload_too_large', message: 'The request body is too large.' },
  414: { code: 'uri_too_long', message: 'The request URL is too long.' },
  415: { code: 'unsupported_media_type', message: 'This content type is not accepted here.' },
  429: { code: 'rate_limited', message: 'Too many requests; try again later.' },
  500: { code: 'internal_error', message: 'Something went wrong on our side.' },
  503: { code: 'unavailable', message: 'The service is unavailable; try again shortly.' },
};
