/**
 * Why a connection to the database, Redis or an SMTP server failed, read from the shapes their
 * clients give errors (Node's system errors, PostgreSQL's SQLSTATE, Redis replies, nodemailer
 * codes): what a command prints instead of a stack trace, and what the worker counts as an
 * outage rather than a bug.
 */
export type ConnectionFailureReason =
  | 'refused'
  | 'unknown-host'
  | 'unreachable'
  | 'timeout'
  | 'closed'
  | 'auth'
  | 'role-missing'
  | 'database-missing'
  | 'not-accepting'
  | 'protocol'
  | 'tls';

export interface ConnectionFailure {
  readonly reason: ConnectionFailureReason;
  /** A few words for a person, e.g. `connection refused`; never a value the client was given. */
  readonly text: string;
}

type ErrorFields = { code?: unknown; originalCode?: unknown; message?: unknown } & Record<
  string,
  unknown
>;

const AUTH: ConnectionFailure = { reason: 'auth', text: 'the server refused the login' };
const TIMEOUT: ConnectionFailure = { reason: 'timeout', text: 'no answer in time (timeout)' };
const CLOSED: ConnectionFailure = {
  reason: 'closed',
  text: 'the connection was closed by the other end',
};
const TLS: ConnectionFailure = { reason: 'tls', text: 'the TLS handshake failed' };

const SYSTEM_CODES: Readonly<Record<string, ConnectionFailure>> = {
  ECONNREFUSED: { reason: 'refused', text: 'connection refused' },
  ENOTFOUND: { reason: 'unknown-host', text: 'host name not found' },
  EAI_AGAIN: { reason: 'unknown-host', text: 'host name not found (DNS did not answer)' },
  EAI_NONAME: { reason: 'unknown-host', text: 'host name not found' },
  EHOSTUNREACH: { reason: 'unreachable', text: 'host unreachable' },
  ENETUNREACH: { reason: 'unreachable', text: 'network unreachable' },
  EHOSTDOWN: { reason: 'unreachable', text: 'host down' },
  ETIMEDOUT: TIMEOUT,
  ECONNRESET: CLOSED,
  EPIPE: CLOSED,
  // nodemailer's own codes.
  EAUTH: AUTH,
  ENOAUTH: { reason: 'auth', text: 'the server asks for a login and none is configured' },
  ETLS: TLS,
};

/** PostgreSQL's SQLSTATEs of a refused connection. */
const SQLSTATES: Readonly<Record<string, ConnectionFailure>> = {
  '28P01': { reason: 'auth', text: 'password authentication failed' },
  '28000': { reason: 'auth', text: 'the server refused this user (pg_hba.conf or LOGIN)' },
  '3D000': { reason: 'database-missing', text: 'the database does not exist' },
  '55000': { reason: 'not-accepting', text: 'the database does not accept connections' },
  '57P03': { reason: 'not-accepting', text: 'the server is starting up or shutting down' },
  '53300': { reason: 'not-accepting', text: 'the server has too many connections' },
};

/** Messages without a code: pg's timeouts and closes, Redis replies to AUTH, TLS refusals. */
const MESSAGES: readonly [RegExp, ConnectionFailure][] = [
  [/^(?:WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i, AUTH],
  [/timeout|timed out/i, TIMEOUT],
  [/Connection terminated|Connection is closed/i, CLOSED],
  [/does not support SSL|SSL.*(?:required|off)|certificate/i, TLS],
  [
    /^Protocol error/,
    { reason: 'protocol', text: 'what answers there does not speak the expected protocol' },
  ],
];

/** 28000 also stands for pg_hba.conf refusals; PostgreSQL's (English) message tells them apart. */
const ROLE_MISSING = /^role ".*" does not exist$/;

function classify(error: ErrorFields): ConnectionFailure | null {
  for (const code of [error.originalCode, error.code]) {
    if (typeof code !== 'string') continue;
    if (code === '28000' && typeof error.message === 'string' && ROLE_MISSING.test(error.message)) {
      return { reason: 'role-missing', text: 'the role (user) does not exist' };
    }
    const known = SQLSTATES[code] ?? SYSTEM_CODES[code];
    if (known) return known;
    // Any other SQLSTATE is the server answering a query: not a connection failure.
    if (/^[0-9A-Z]{5}$/.test(code) && typeof error.severity === 'string') return null;
    if (/CERT|TLS|SSL/.test(code)) return TLS;
  }
  const message = typeof error.message === 'string' ? error.message : '';
  // Drizzle's message quotes the query and its parameters: any word may be in them.
  if (message.startsWith('Failed query:')) return null;
  return MESSAGES.find(([pattern]) => pattern.test(message))?.[1] ?? null;
}

/**
 * The connection failure behind `error` (itself, its cause, or the first of an AggregateError's
 * errors, as Node reports trying each address of `localhost`), or null for anything else: a
 * failure of a query, a command or our own code.
 */
export function connectionFailure(error: unknown, depth = 0): ConnectionFailure | null {
  if (typeof error !== 'object' || error === null || depth > 3) return null;
  const fields = error as ErrorFields;
  const own = classify(fields);
  if (own) return own;
  const inner = Array.isArray(fields.errors) ? (fields.errors as unknown[])[0] : undefined;
  return (
    connectionFailure(inner, depth + 1) ??
    (fields.cause === undefined ? null : connectionFailure(fields.cause, depth + 1))
  );
}
