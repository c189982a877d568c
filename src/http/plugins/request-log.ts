import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { createAccessLogger, type Logger } from '#src/lib/logger.ts';

const SENSITIVE_QUERY = /^(?:.*token.*|.*password.*|.*secret.*|.*key.*|signature|sig|code)$/i;
const SENSITIVE_PATHS = [/^(\/accounts\/reset\/)[^/?]+/];

/** The URL as logged: reset tokens in the path and credentials in the query are masked. */
export function redactUrl(url: string): string {
  let redacted = url;
  for (const pattern of SENSITIVE_PATHS) redacted = redacted.replace(pattern, '$1[REDACTED]');
  const queryStart = redacted.indexOf('?');
  if (queryStart < 0) return redacted;
  const params = new URLSearchParams(redacted.slice(queryStart + 1));
  for (const name of [...params.keys()]) {
    if (SENSITIVE_QUERY.test(name)) params.set(name, '[REDACTED]');
  }
  return `${redacted.slice(0, queryStart)}?${params.toString()}`;
}

/**
 * Fastify's log controller, narrowed to one line per request, written when the response is done:
 * request id, method, route, status and duration (plus the client IP as proxy trust decided it).
 */
export class RequestLogController extends LogController {
  private readonly access: Logger;

  /** `logger`: the application's; request lines go to its destination, unredacted (see below). */
  constructor(logger: Logger) {
    super({ requestIdLogLabel: 'requestId' });
    this.access = createAccessLogger(logger);
  }

  override incomingRequest(): void {
    // Deliberately silent: the completed line says everything, once.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = {
      method: request.method,
      url: redactUrl(request.url),
      route: request.routeOptions.url ?? null,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
    };
    // A failure's line carries the error (and may carry anything): it goes through redaction.
    if (error) request.log.error({ ...fields, err: error }, 'request');
    else this.access.info({ requestId: request.id, ...fields }, 'request');
  }
}
