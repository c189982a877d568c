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
  /** The Referer header as sent, or null. */
  readonly referrer: string | null;
  /** The User-Agent header as sent, or null. */
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
