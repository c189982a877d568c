/** Every collector of this test process, for the unexpected-error check (setup.ts). */
const collectors = new Set<LogCollector>();

/** pino's numeric levels: 50 is error, 60 fatal. */
const ERROR_LEVEL = 50;

/** Collects pino's JSON lines so a test can assert on what an operator would read. */
export class LogCollector {
  readonly lines: string[] = [];
  /** Lines up to here were checked (or expected) already. */
  private checked = 0;
  private expecting = false;

  constructor() {
    collectors.add(this);
  }

  write(line: string): void {
    this.lines.push(line);
  }

  get text(): string {
    return this.lines.join('');
  }

  entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /**
   * Announces that the running test makes the application log errors on purpose (a database
   * outage, a failing transport): its error lines then do not fail it. Lasts until it ends.
   */
  expectErrors(): void {
    this.expecting = true;
  }

  /** Error lines written since the last call, unless expected; resets the expectation. */
  takeUnexpectedErrors(): string[] {
    const fresh = this.lines.slice(this.checked);
    this.checked = this.lines.length;
    const expected = this.expecting;
    this.expecting = false;
    if (expected) return [];
    return fresh.filter((line) => {
      try {
        return ((JSON.parse(line) as { level?: unknown }).level as number) >= ERROR_LEVEL;
      } catch {
        return false;
      }
    });
  }
}

/** What every collector logged at error level since the last test, unannounced. */
export function unexpectedErrorLines(): string[] {
  return [...collectors].flatMap((collector) =>
    collector.takeUnexpectedErrors().map((line) => `log: ${line.trim()}`),
  );
}
