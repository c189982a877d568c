import { isIPv6 } from 'node:net';
import { databaseTarget } from '#src/db/database-target.ts';
import { connectionFailure, type ConnectionFailure } from '#src/lib/connection-failure.ts';
import { scrubText } from '#src/lib/log-safety.ts';
import type { Settings } from '#src/settings/index.ts';

/** The backing services a command may fail to reach at start. */
export type DependencyName = 'database' | 'redis' | 'smtp';

/**
 * A dependency could not be reached: an expected failure, so the command prints the message
 * (what failed, why, which setting to check) and exits 1, without a stack trace.
 */
export class DependencyUnavailableError extends Error {}

/** Runs `work`, turning a failure to connect to `dependency` into a DependencyUnavailableError. */
export async function reaching<T>(
  dependency: DependencyName,
  settings: Settings,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const message = describeDependencyFailure(dependency, settings, error);
    if (message === null) throw error;
    throw new DependencyUnavailableError(message, { cause: error });
  }
}

interface Endpoint {
  readonly host: string;
  readonly port: string;
  readonly user: string;
  readonly name: string;
}

/** Host, port, user and database of a service URL: never its password. */
function endpointOf(raw: string, defaultPort: string): Endpoint {
  const url = new URL(raw);
  const host = url.searchParams.get('host') ?? (url.hostname || 'localhost');
  return {
    host,
    port: url.port || defaultPort,
    user: decodeURIComponent(url.username),
    name: decodeURIComponent(url.pathname.replace(/^\//, '')),
  };
}

/** What to check in the setting, by reason; `server` names the kind (`PostgreSQL`, `Redis`). */
const HINTS: Readonly<
  Record<ConnectionFailure['reason'], (at: Endpoint, server: string) => string>
> = {
  refused: (at, server) =>
    `is the ${server} server running and listening on ${at.host}:${at.port}?`,
  'unknown-host': (at) => `is the host name ${at.host} right?`,
  unreachable: (at) => `can this machine reach ${at.host}:${at.port} (network, firewall)?`,
  timeout: (at) => `can this machine reach ${at.host}:${at.port} (network, firewall)?`,
  closed: (at, server) => `is ${at.host}:${at.port} the ${server} server; does it want TLS?`,
  auth: (at) => `the user${at.user ? ` "${at.user}"` : ''} and the password in it.`,
  'role-missing': (at) => `the user name, or create the role (createuser ${at.user || 'NAME'}).`,
  'database-missing': (at) => `the database name, or create it (createdb ${at.name}).`,
  'not-accepting': () => 'the server is up but refuses connections; try again shortly.',
  tls: () => 'whether it asks for TLS, and the certificate the server presents.',
  protocol: (at, server) => `is ${at.host}:${at.port} really the ${server} server?`,
};

/**
 * One or two lines saying which dependency failed, why (refused, authentication, missing
 * database, timeout…) and which setting to check; null when `error` is not a connection failure
 * (a bug or a failed query, for a stack trace).
 */
export function describeDependencyFailure(
  dependency: DependencyName,
  settings: Settings,
  error: unknown,
): string | null {
  const failure = connectionFailure(error);
  if (failure === null) return null;
  if (dependency === 'database') {
    const target = databaseTarget(settings);
    if (target.kind !== 'postgres') return null;
    const at = endpointOf(target.url, '5432');
    const database = at.name ? `the database "${at.name}"` : 'the database';
    return `cannot use ${database} on ${at.host}:${at.port}: ${failure.text}.\n  Check DATABASE_URL: ${HINTS[failure.reason](at, 'PostgreSQL')}`;
  }
  const url = dependency === 'redis' ? settings.redisUrl : settings.emailUrl;
  if (!url) return null;
  const raw = url.reveal();
  const at = endpointOf(
    raw,
    dependency === 'redis' ? '6379' : raw.startsWith('smtps:') ? '465' : '587',
  );
  const [name, server, setting] =
    dependency === 'redis'
      ? ['Redis', 'Redis', 'REDIS_URL']
      : ['the SMTP server', 'SMTP', 'EMAIL_URL'];
  // An SMTP server's reply says more than our words (`535 5.7.8 Authentication failed`).
  const reply = (error as { response?: unknown }).response;
  const said = typeof reply === 'string' ? ` (${scrubText(reply.split('\n')[0] ?? '')})` : '';
  return `cannot use ${name} at ${at.host}:${at.port}: ${failure.text}${said}.\n  Check ${setting}: ${HINTS[failure.reason](at, server)}`;
}

/** Why `serve` could not listen, by the error's code, and what to change. */
const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE:
    'the address is already in use (another `hoplink serve`, or another program). Stop it, or choose another port with --port or SERVER_PORT.',
  EACCES:
    'not allowed (ports below 1024 need privileges). Choose another port with --port or SERVER_PORT.',
  EADDRNOTAVAIL: 'the host is not an address of this machine. Check --host or SERVER_HOST.',
  ENOTFOUND: 'the host name is not known. Check --host or SERVER_HOST.',
  EAI_AGAIN: 'the host name could not be resolved. Check --host or SERVER_HOST.',
};

/**
 * One line saying why the server cannot listen on host:port (in use, not allowed, not an address
 * here) and which flag or setting to change; null for any other error (a bug, for its stack).
 */
export function describeListenFailure(host: string, port: number, error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  const why = typeof code === 'string' ? LISTEN_FAILURES[code] : undefined;
  if (why === undefined) return null;
  return `cannot listen on ${isIPv6(host) ? `[${host}]` : host}:${String(port)}: ${why}`;
}
