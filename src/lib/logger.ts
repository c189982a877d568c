import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { serializeError } from './log-safety.ts';

export type { Logger };

/**
 * Paths pino censors wherever a log line carries them: credentials in headers, and any field
 * that names a password, token or secret. Secret settings are masked by their own type (Secret).
 */
export const REDACTED_PATHS = [
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["proxy-authorization"]',
  '*.headers["x-api-key"]',
  '*.headers["x-csrf-token"]',
  'password',
  'token',
  'secret',
  'secretKey',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.secret',
  '*.secretKey',
  '*.apiKey',
  '*._csrf',
];

/**
 * Errors, under whichever key they are logged, are rebuilt from what an operator needs: the
 * clients of the database, Redis and SMTP attach query parameters, the AUTH command's password
 * or a recipient to theirs (see log-safety.ts).
 */
const SERIALIZERS = { err: serializeError, error: serializeError, cause: serializeError };

export interface LoggerOptions {
  readonly level: string;
  readonly format: 'json' | 'pretty';
  /** Where lines go; stdout when omitted (tests pass a collecting stream). */
  readonly destination?: DestinationStream;
}

/** Loggers whose lines pino-pretty renders for people: LOG_FORMAT=pretty, pino-pretty installed. */
const rendered = new WeakSet<Logger>();

/** Whether `logger`, made by createLogger, writes for people (pino-pretty) rather than JSON. */
export function isPretty(logger: Logger): boolean {
  return rendered.has(logger);
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' ? loadPinoPretty() : null;
  const destination = pretty
    ? pretty({
        sync: true,
        destination: options.destination ?? 1,
        colorize: options.destination === undefined && process.stdout.isTTY,
        ignore: 'pid,hostname',
      })
    : (options.destination ?? asyncStdout());
  const logger = pino(
    { ...lineFormat(options.level), redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } },
    destination,
  );
  reportDroppedLines(destination, logger);
  if (pretty) rendered.add(logger);
  if (options.format === 'pretty' && !pretty) {
    logger.warn('LOG_FORMAT=pretty needs pino-pretty, a development dependency; logging JSON');
  }
  return logger;
}

/**
 * pino-pretty is a development dependency: a runtime install (`npm ci --omit=dev`, the container
 * image) does not have it, so it is loaded only when asked for, and its absence is not fatal.
 */
function loadPinoPretty(): typeof PinoPretty | null {
  try {
    return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

function lineFormat(level: string) {
  return {
    level,
    serializers: SERIALIZERS,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
}

/**
 * A logger writing lines shaped like `logger`'s to the same destination, without redaction: for
 * the one line per request, whose fields are fixed and carry nothing to censor (its URL is
 * masked by the caller). Redaction walks every path on every line; on the redirect that was the
 * largest single cost after the socket writes.
 */
export function createAccessLogger(logger: Logger): Logger {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[
    pino.symbols.streamSym
  ];
  return pino(lineFormat(logger.level), destination);
}

/** Bytes of log lines waiting for stdout before further lines are dropped (and counted). */
const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

/**
 * stdout, written asynchronously: a request never waits on it, and lines written while one write
 * is in flight go out together. A reader that stalls costs at most LOG_BUFFER_MAX_BYTES of
 * memory; pino flushes what is left synchronously on exit.
 */
function asyncStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_MAX_BYTES });
}

/** Lines dropped by a full buffer are reported by one line, once the buffer has room again. */
function reportDroppedLines(destination: DestinationStream, logger: Logger): void {
  if (!(destination instanceof EventEmitter)) return;
  let dropped = 0;
  let timer: NodeJS.Timeout | null = null;
  destination.on('drop', () => {
    dropped += 1;
    timer ??= setTimeout(() => {
      timer = null;
      logger.warn({ droppedLines: dropped }, 'log lines dropped: stdout did not keep up');
      dropped = 0;
    }, 5_000).unref();
  });
}
