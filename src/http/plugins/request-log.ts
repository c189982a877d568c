import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { maskUrl } from '#src/lib/log-safety.ts';
import { createAccessLogger, isPretty, type Logger } from '#src/lib/logger.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'redirect': the access line is sampled (REDIRECT_LOG_SAMPLE_RATE); see RequestLogController. */
    accessLog?: 'redirect';
  }
}

/** A request slower than this is always logged, sampled or not. */
const SLOW_REQUEST_MS = 1_000;

/**
 * Fastify's log controller, narrowed to one line per request, written when the response is done:
 * request id, method, route, status and duration (plus the client IP as proxy trust decided it).
 * The URL is masked (maskUrl): reset links carry their token, and query values a person's words.
 * For people (LOG_FORMAT=pretty) that line is a sentence, `GET /links 200 3.1ms (<request id>)`:
 * pino-pretty would give each field a line of its own.
 */
export class RequestLogController extends LogController {
  private readonly access: Logger;
  private readonly redirectSampleRate: number;
  private readonly pretty: boolean;

  /**
   * `logger`: the application's; request lines go to its destination, unredacted (see below).
   * `redirectSampleRate`: the share of redirect lines written (decision 0014): every click is
   * already a row in the database, and a line per hop at full speed is megabytes a second.
   */
  constructor(logger: Logger, options: { redirectSampleRate: number } = { redirectSampleRate: 1 }) {
    super({ requestIdLogLabel: 'requestId' });
    this.access = createAccessLogger(logger);
    this.redirectSampleRate = options.redirectSampleRate;
    this.pretty = isPretty(logger);
  }

  override incomingRequest(): void {
    // Deliberately silent: the completed line says everything, once.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (
      !error &&
      request.routeOptions.config.accessLog === 'redirect' &&
      reply.statusCode < 500 &&
      reply.elapsedTime < SLOW_REQUEST_MS &&
      !(this.redirectSampleRate > 0 && Math.random() < this.redirectSampleRate)
    ) {
      return;
    }
    if (this.pretty) {
      const line = `${request.method} ${maskUrl(request.url)} ${reply.statusCode} ${Math.round(reply.elapsedTime * 10) / 10}ms (${request.id})`;
      if (error) request.log.error({ err: error }, line);
      else this.access.info(line);
      return;
    }
    const fields = {
      method: request.method,
      url: maskUrl(request.url),
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
