import type { Bindings, ChildLoggerOptions, LogFn } from 'pino';

/** What a request logger is: pino's and Fastify's loggers both fit. */
export interface RequestLogger {
  level: string;
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  silent: LogFn;
  child(bindings: Bindings, options?: ChildLoggerOptions): RequestLogger;
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Prototype methods, not per-request closures: the point is to allocate nearly nothing. */
class LazyChildLogger implements RequestLogger {
  #real: RequestLogger | undefined;

  constructor(
    private readonly parent: RequestLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  #child(): RequestLogger {
    return (this.#real ??= this.parent.child(this.bindings, this.options));
  }

  #log(level: Level, args: Parameters<LogFn>): void {
    const real = this.#child();
    real[level](...args);
  }

  get level(): string {
    return this.#real?.level ?? this.parent.level;
  }
  set level(value: string) {
    this.#child().level = value;
  }
  fatal(...args: Parameters<LogFn>): void {
    this.#log('fatal', args);
  }
  error(...args: Parameters<LogFn>): void {
    this.#log('error', args);
  }
  warn(...args: Parameters<LogFn>): void {
    this.#log('warn', args);
  }
  info(...args: Parameters<LogFn>): void {
    this.#log('info', args);
  }
  debug(...args: Parameters<LogFn>): void {
    this.#log('debug', args);
  }
  trace(...args: Parameters<LogFn>): void {
    this.#log('trace', args);
  }
  silent(): void {
    // Nothing to write.
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): RequestLogger {
    return this.#child().child(bindings, options);
  }
}

/**
 * A child logger made only when something logs through it. Fastify gives every request a
 * child of the application logger; on the redirect, which logs nothing when all goes well, that
 * child (bindings serialised, serializers and redaction set up) was a measurable share of the
 * cost of a hop.
 */
export function lazyChildLogger<L extends RequestLogger>(
  parent: L,
  bindings: Bindings,
  options: ChildLoggerOptions,
): L {
  // The same logging surface as L, which is all a request logger is used for.
  return new LazyChildLogger(parent, bindings, options) as unknown as L;
}
