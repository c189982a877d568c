import type { RawClick } from '#src/modules/analytics/index.ts';

/** Raw click number `n`: a stable event id, one link, every other one with a referrer. */
export function rawClick(n: number): RawClick {
  return {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    linkId: '0b6a1c52-3d0e-4f3c-9a53-8a7c1b6f2e10',
    clickedAt: 1_700_000_000_000 + n,
    referrer: n % 2 === 0 ? 'https://example.com/' : null,
    userAgent: 'Mozilla/5.0',
    ip: '203.0.113.7',
  };
}

export interface LogLine {
  level: 'warn' | 'info' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger for the click pipeline's parts that keeps what they say, for assertions. */
export function collectingLogger() {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (...args: unknown[]): void => {
      const [first, second] = args;
      if (typeof first === 'string') lines.push({ level, msg: first, fields: {} });
      else lines.push({ level, msg: String(second), fields: first as Record<string, unknown> });
    };
  return {
    lines,
    logger: { warn: at('warn'), info: at('info'), error: at('error') },
    messages: (level: LogLine['level']) =>
      lines.filter((line) => line.level === level).map((line) => line.msg),
  };
}
