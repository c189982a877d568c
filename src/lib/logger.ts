import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

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
];

export interface LoggerOptions {
  readonly level: string;
  readonly format: 'json' | 'pretty';
  /** Where lines go; stdout when omitted (tests pass a collecting stream). */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.format === 'pretty'
      ? pinoPretty({
          sync: true,
          destination: options.destination ?? 1,
          colorize: options.destination === undefined && process.stdout.isTTY,
          ignore: 'pid,hostname',
        })
      : (options.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
