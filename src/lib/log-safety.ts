/**
 * What may reach a log line. Errors from the database, Redis and SMTP clients carry the values
 * they were given (query parameters, the AUTH command's password, a rejected recipient), so
 * they are rebuilt from an allow-list of fields instead of copied; free text is scrubbed of the
 * shapes a secret or an address takes; URLs lose secret path segments and query values.
 */

/** The backing service an error came from, when its shape tells. */
export type Dependency = 'postgres' | 'redis' | 'smtp';

/**
 * Fields copied as they are when they hold a string or a number: system errors (syscall,
 * address, port), PostgreSQL's schema names, SMTP reply codes, our AppError's status.
 */
const SAFE_FIELDS = [
  'errno',
  'syscall',
  'address',
  'port',
  'hostname',
  'severity',
  'schema',
  'table',
  'column',
  'constraint',
  'routine',
  'responseCode',
  'originalCode',
  'statusCode',
] as const;

/** An error as logged: enough for an operator to act on, nothing a client or a query carried. */
export type SafeError = Partial<Record<(typeof SAFE_FIELDS)[number], string | number>> & {
  readonly type: string;
  readonly message: string;
  readonly code?: string | number;
  readonly dependency?: Dependency;
  /** A failed query's first keyword and table, e.g. `select sessions`; never its text. */
  readonly query?: string;
  /** The Redis command's name (`auth`) or the SMTP stage (`RCPT TO`); never its arguments. */
  readonly command?: string;
  readonly stack?: string;
  readonly cause?: SafeError;
  readonly errors?: readonly SafeError[];
};

const MASK = '[REDACTED]';
const MAX_DEPTH = 3;
const MAX_NESTED_ERRORS = 3;

type ErrorRecord = Record<string, unknown> & { message?: unknown; stack?: unknown };

/**
 * A pino serializer: any thrown value rebuilt as a SafeError; a message logged in its place (a
 * string) comes back scrubbed, still a string.
 */
export function serializeError(value: unknown): SafeError | string {
  if (typeof value !== 'object' || value === null) return scrubText(String(value));
  return serialize(value, 0);
}

function serialize(value: unknown, depth: number): SafeError {
  if (typeof value !== 'object' || value === null) {
    return { type: typeof value, message: scrubText(String(value)) };
  }
  const error = value as ErrorRecord;
  // pg's and PGlite's (minified) classes both name themselves `error`.
  const type =
    isSqlState(error.code) && typeof error.severity === 'string'
      ? 'DatabaseError'
      : typeName(error);
  const dependency = dependencyOf(error);
  const query = typeof error.query === 'string' ? describeQuery(error.query) : undefined;
  const message = safeMessage(error, query);
  const fields: Record<string, unknown> = {};
  const code = error.code;
  if ((typeof code === 'string' && code.length <= 64) || typeof code === 'number') {
    fields.code = code;
  }
  for (const name of SAFE_FIELDS) {
    const field = error[name];
    if (typeof field === 'number' || (typeof field === 'string' && field.length <= 200)) {
      fields[name] = typeof field === 'string' ? scrubText(field) : field;
    }
  }
  // ioredis names the failed command (`auth`, `get`); its arguments are the secrets.
  const command = error.command;
  if (typeof command === 'string') fields.command = scrubText(command.slice(0, 40));
  else if (typeof (command as { name?: unknown } | null)?.name === 'string') {
    fields.command = (command as { name: string }).name;
  }
  const stack = typeof error.stack === 'string' ? frames(error.stack) : '';
  const nested =
    depth < MAX_DEPTH && Array.isArray(error.errors)
      ? (error.errors as unknown[])
          .slice(0, MAX_NESTED_ERRORS)
          .map((inner) => serialize(inner, depth + 1))
      : undefined;
  return {
    type,
    message,
    ...fields,
    ...(dependency ? { dependency } : {}),
    ...(query ? { query } : {}),
    ...(stack ? { stack: `${type}: ${message}\n${stack}` } : {}),
    ...(depth < MAX_DEPTH && error.cause !== undefined
      ? { cause: serialize(error.cause, depth + 1) }
      : {}),
    ...(nested && nested.length > 0 ? { errors: nested } : {}),
  };
}

/**
 * An error as text for a terminal (a command's unexpected failure): the safe stack, then each
 * cause's, where Node would print the error's every property.
 */
export function formatError(value: unknown): string {
  const lines: string[] = [];
  let current: SafeError | string | undefined = serializeError(value);
  for (let depth = 0; current !== undefined && depth <= MAX_DEPTH; depth += 1) {
    if (typeof current === 'string') {
      lines.push(current);
      break;
    }
    const text = current.stack ?? `${current.type}: ${current.message}`;
    lines.push(depth === 0 ? text : `caused by ${text}`);
    current = current.cause;
  }
  return lines.join('\n');
}

function typeName(error: ErrorRecord): string {
  const constructorName = (error.constructor as { name?: unknown } | undefined)?.name;
  if (typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object')
    return constructorName;
  return typeof error.name === 'string' && error.name !== '' ? error.name : 'Error';
}

/** PostgreSQL's SQLSTATE: five digits or capitals (`28P01`, `3D000`). */
function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** Drizzle wraps a driver error as `Failed query: <sql>\nparams: <values>`, values included. */
function isDrizzleQueryError(error: ErrorRecord): boolean {
  return (
    typeof error.query === 'string' &&
    'params' in error &&
    typeof error.message === 'string' &&
    error.message.startsWith('Failed query:')
  );
}

const SMTP_CODES = new Set([
  'EAUTH',
  'ECONNECTION',
  'EDNS',
  'EENVELOPE',
  'EMESSAGE',
  'ENOAUTH',
  'EPROTOCOL',
  'ESOCKET',
  'ESTREAM',
  'ETLS',
  'EMAXLIMIT',
]);

const STACK_HINTS: readonly [RegExp, Dependency][] = [
  [/node_modules\/(?:pg|pg-pool|pg-protocol|drizzle-orm|@electric-sql)\//, 'postgres'],
  [/node_modules\/(?:ioredis|redis-parser|redis-errors|bullmq)\//, 'redis'],
  [/node_modules\/nodemailer\//, 'smtp'],
];

/** Which client an error came from: by its shape first, by its stack's frames otherwise. */
function dependencyOf(value: unknown): Dependency | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const error = value as ErrorRecord;
  if (isDrizzleQueryError(error)) return 'postgres';
  if (isSqlState(error.code) && typeof error.severity === 'string') return 'postgres';
  const command = error.command as { name?: unknown; args?: unknown } | string | undefined;
  if (typeof command === 'object' && typeof command.name === 'string') return 'redis';
  if (/^(?:ReplyError|RedisError|MaxRetriesPerRequestError)$/.test(typeName(error))) return 'redis';
  if (
    typeof command === 'string' &&
    (SMTP_CODES.has(String(error.code)) || typeof error.responseCode === 'number')
  )
    return 'smtp';
  const stack = typeof error.stack === 'string' ? error.stack : '';
  return STACK_HINTS.find(([pattern]) => pattern.test(stack))?.[1];
}

function safeMessage(error: ErrorRecord, query: string | undefined): string {
  const raw = typeof error.message === 'string' ? error.message : '';
  if (isDrizzleQueryError(error)) return `failed query: ${query ?? 'unknown'}`;
  // Data exceptions (class 22) quote the offending value: `invalid input syntax for type uuid: "…"`.
  if (isSqlState(error.code) && error.code.startsWith('22'))
    return scrubText(raw.replace(/"[^"]*"/g, `"${MASK}"`));
  return scrubText(raw);
}

/** Only the frames of a stack: its first lines repeat the message, which may hold values. */
function frames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

const IDENTIFIER = String.raw`(?:"[^"]+"|[A-Za-z_][\w$]*)`;
const NAME = String.raw`(${IDENTIFIER}(?:\.${IDENTIFIER})?)`;
/** The first table: after into/update, or after from/join unless it is a function's call. */
const TABLE_AFTER = new RegExp(
  String.raw`\b(?:into|update|table)\s+${NAME}|\b(?:from|join)\s+${NAME}(?![\w$"]|\s*\()`,
  'i',
);
const MODIFYING = new RegExp(String.raw`\b(insert\s+into|update|delete\s+from)\s+${NAME}`, 'i');

/**
 * `select "id", … from "sessions" where …` → `select sessions`: the keyword and first table.
 * A `with` statement is named by what it changes, if anything (`insert clicks`).
 */
export function describeQuery(sql: string): string {
  const keyword = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toLowerCase() ?? 'query';
  const modifying = keyword === 'with' ? MODIFYING.exec(sql) : null;
  if (modifying?.[1] && modifying[2]) {
    return `${modifying[1].split(/\s/)[0]?.toLowerCase() ?? ''} ${modifying[2].replaceAll('"', '')}`;
  }
  const found = TABLE_AFTER.exec(sql);
  const table = (found?.[1] ?? found?.[2])?.replaceAll('"', '');
  return table ? `${keyword} ${table}` : keyword;
}

const DRIZZLE_FAILED_QUERY = /Failed query: ([\s\S]*?)\nparams: [\s\S]*$/;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const EMAIL_ADDRESS = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Tokens, their hashes and keys: long runs of base64url or hex characters. */
const OPAQUE = /[A-Za-z0-9_-]{32,}/g;

/** Random text has digits or mixed case; a long snake_case name (a constraint's) has neither. */
function looksRandom(run: string): boolean {
  return /\d/.test(run) || (/[a-z]/.test(run) && /[A-Z]/.test(run));
}

/**
 * Free text (an error message) with what must never be logged masked: a Drizzle query's
 * parameters, credentials in URLs, email addresses, and long opaque strings (tokens, hashes,
 * keys). Lower-case identifiers (constraint names) and UUIDs (row and job ids) stay.
 */
export function scrubText(text: string): string {
  return text
    .replace(DRIZZLE_FAILED_QUERY, (_match, sql: string) => `failed query: ${describeQuery(sql)}`)
    .replace(URL_CREDENTIALS, `$1${MASK}@`)
    .replace(EMAIL_ADDRESS, '[email]')
    .replace(OPAQUE, (run) => (looksRandom(run) && !UUID.test(run) ? MASK : run));
}

/** Query parameters whose values are logged: none of them carries a secret or a person's words. */
const LOGGED_QUERY_PARAMETERS = new Set(['cursor', 'trail', 'limit', 'days', 'page', 'next']);
/** Path segments that are secrets: the reset link's token (but not the static `complete` page). */
const SECRET_PATHS = [/^(\/accounts\/reset\/)(?!complete(?:$|[/?#]))[^/?#]+/];

/**
 * A URL as logged (a request's path and query, or an absolute URL such as a Referer): secret
 * path segments masked, every query value masked but those of a few known-harmless parameters,
 * credentials and fragment dropped. Cheap for the common case, a path without a query.
 */
export function maskUrl(url: string): string {
  // The redirect's case, on every hop: a plain path, nothing to mask, nothing to allocate.
  if (url.startsWith('/') && !/[?#]/.test(url) && !SECRET_PATHS.some((path) => path.test(url)))
    return url;
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url)?.[0] ?? '';
  let rest = url.slice(origin.length);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const queryStart = rest.indexOf('?');
  let path = queryStart < 0 ? rest : rest.slice(0, queryStart);
  for (const pattern of SECRET_PATHS) path = path.replace(pattern, `$1${MASK}`);
  const masked = `${origin.replace(/\/\/[^@/]*@/, '//')}${path}`;
  if (queryStart < 0) return masked;
  const query = rest
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const rawName = equals < 0 ? pair : pair.slice(0, equals);
      const name = safeDecode(rawName);
      // A bare word (`?hunter2`) may be the value itself.
      if (equals < 0) return pair === '' || LOGGED_QUERY_PARAMETERS.has(name) ? pair : MASK;
      if (pair.length === equals + 1) return pair;
      if (!LOGGED_QUERY_PARAMETERS.has(name)) return `${rawName}=${MASK}`;
      // `next` is a path of this site, which may be a secret one.
      return name === 'next'
        ? `${rawName}=${encodeURIComponent(maskUrl(safeDecode(pair.slice(equals + 1))))}`
        : pair;
    });
  return `${masked}?${query.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}
