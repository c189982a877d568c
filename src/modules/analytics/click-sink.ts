/**
 * A click as the redirect saw it: raw request fields only, captured in microseconds and parsed
 * later by the writer, away from the response. Plain JSON-safe values so a queue can carry it.
 */
export interface RawClick {
  /** A UUID made by the redirect; the insert ignores an event id it already holds. */
  readonly eventId: string;
  readonly linkId: string;
  /** Epoch milliseconds. */
  readonly clickedAt: number;
  /** The Referer header as sent (cut at RAW_REFERRER_MAX_LENGTH), or null. */
  readonly referrer: string | null;
  /** The User-Agent header as sent (cut at RAW_USER_AGENT_MAX_LENGTH), or null. */
  readonly userAgent: string | null;
  /** The client IP as Fastify decided it (forwarded only from trusted proxies). */
  readonly ip: string;
}

/**
 * Where the redirect hands clicks. `capture` never throws and never waits: whatever goes wrong
 * with counting a click must not touch the redirect.
 */
export interface ClickSink {
  capture(click: RawClick): void;
}

/** Longest referrer kept; the clicks table stores no more. */
export const RAW_REFERRER_MAX_LENGTH = 2048;
/**
 * Longest user agent kept: ua-parser-js reads only its first 500 characters, and anything longer
 * is padding or an attack.
 */
export const RAW_USER_AGENT_MAX_LENGTH = 512;
/** Most clicks one queued batch may hold (CLICK_BATCH_SIZE stays below it). */
export const CLICK_BATCH_MAX = 5_000;

/** A request header as a click keeps it: cut to `max`, null when absent or empty. */
export function clickHeader(value: string | undefined, max: number): string | null {
  if (!value) return null;
  return value.length > max ? value.slice(0, max) : value;
}
