/** The parts of a Sentry DSN that settings checks look at; the keys stay inside the string. */
export interface SentryDsn {
  readonly protocol: 'http' | 'https';
  /** The host name or bracketed IPv6 address, as written. */
  readonly host: string;
  readonly projectId: string;
}

/**
 * Sentry's own grammar (`@sentry/core`'s dsn.ts), strict where the SDK is lenient: a public key,
 * an optional secret, a host, an optional port, an optional path, and a numeric project id last.
 */
const DSN =
  /^(https?):\/\/\w+(?::\w*)?@(\[[:.%\w]+\]|[\w.-]+)(?::(\d{1,5}))?\/(?:[^?#\s]*\/)?(\d+)$/;

/**
 * A DSN such as `https://<public key>@o1.ingest.sentry.io/<project id>`, or null when the SDK
 * would refuse it (it would print the whole DSN to the console doing so).
 */
export function parseSentryDsn(text: string): SentryDsn | null {
  const match = DSN.exec(text);
  if (!match) return null;
  const [, protocol, host, port, projectId] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return null;
  return {
    protocol: protocol === 'http' ? 'http' : 'https',
    host: host ?? '',
    projectId: projectId ?? '',
  };
}

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Whether events to this DSN stay on this machine (a local relay, a test stand-in). */
export function isLoopbackDsn(dsn: SentryDsn): boolean {
  return LOOPBACK.test(dsn.host);
}
