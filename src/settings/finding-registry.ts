import type { Profile } from './definitions.ts';
import type { Finding, Level } from './findings.ts';

/** A finding's text, or its template when it names a value (a setting, a path, a count). */
type Text<A> = string | ((args: A) => string);

interface Declared<A> {
  /** The variable at fault; a template may answer undefined when there is none. */
  readonly setting?: string | ((args: A) => string | undefined);
  readonly message: Text<A>;
  readonly hint: Text<A>;
  /** The docs/checks.md row: what the finding means, and its fix, in general terms. */
  readonly meaning: string;
  readonly fix: string;
}

/** An `E` finding: raised at start (and by `check`), at a level that depends on the profile. */
export interface ErrorEntry<A> extends Declared<A> {
  readonly level: 'error';
  /** The level in production and elsewhere (development, test); null where it cannot occur. */
  readonly production: 'error' | null;
  readonly elsewhere: 'error' | 'warning' | null;
}

/** A `W` or `I` finding, the same level in every profile. */
export interface NoticeEntry<A> extends Declared<A> {
  readonly level: 'warning' | 'info';
  /** Who raises it: only `check --deploy`, or also the start (and plain `check`). */
  readonly when: 'deploy' | 'start' | 'start, check';
}

/** An id no longer raised; it stays here, documented, so it is never given another meaning. */
export interface RetiredEntry {
  readonly level: Level;
  readonly retired: string;
}

const error = <A = undefined>(entry: Omit<ErrorEntry<A>, 'level'>): ErrorEntry<A> => ({
  level: 'error',
  ...entry,
});
const warning = <A = undefined>(entry: Omit<NoticeEntry<A>, 'level'>): NoticeEntry<A> => ({
  level: 'warning',
  ...entry,
});
const note = <A = undefined>(entry: Omit<NoticeEntry<A>, 'level'>): NoticeEntry<A> => ({
  level: 'info',
  ...entry,
});

const retired = (level: Level, why: string): RetiredEntry => ({ level, retired: why });

type TlsUnusable =
  | { readonly reason: 'not a certificate'; readonly certPath: string }
  | { readonly reason: 'not a key'; readonly keyPath: string }
  | { readonly reason: 'mismatch'; readonly certPath: string; readonly keyPath: string };

/** A value its parser refused: the parser's words (with the value unless secret), and its doc. */
interface Unparsable {
  readonly setting: string;
  readonly problem: string;
  readonly doc: string;
}

/**
 * Every finding `hoplink check` can report, by id (`E001` is `hoplink.E001`), and the ids retired.
 * The only place a finding's id, level and words are written; docs/checks.md is generated from it.
 */
export const FINDINGS = {
  E001: error({
    production: 'error',
    elsewhere: null,
    setting: 'SECRET_KEY',
    message: 'is required in production.',
    hint: 'Set SECRET_KEY (or SECRET_KEY_FILE) to 50+ random characters, e.g. `openssl rand -base64 48`.',
    meaning: '`SECRET_KEY` is missing. (Development generates one; see W017.)',
    fix: 'Set `SECRET_KEY_FILE` to a mounted secret, or `SECRET_KEY`, holding 50+ random characters: `openssl rand -base64 48`.',
  }),
  E002: error<{ readonly weakness: string }>({
    production: 'error',
    elsewhere: 'warning',
    setting: 'SECRET_KEY',
    message: ({ weakness }) => `is too weak: ${weakness}.`,
    hint: 'Use at least 50 random characters, e.g. the output of `openssl rand -base64 48`.',
    meaning:
      '`SECRET_KEY` is weak: under 50 characters, fewer than 5 distinct characters, or it starts with `insecure`, `change-me`, `changeme`, `dev` or `django-insecure`.',
    fix: 'Generate a new random key: `openssl rand -base64 48`.',
  }),
  E003: error({
    production: 'error',
    elsewhere: null,
    setting: 'ALLOWED_HOSTS',
    message: 'is required in production.',
    hint: 'Set ALLOWED_HOSTS to the host names this site is served on, e.g. hop.example.com.',
    meaning: '`ALLOWED_HOSTS` is missing or holds no host.',
    fix: 'List the host names the site is served on, e.g. `hop.example.com`, or `.example.com` for a domain and its subdomains.',
  }),
  E004: error({
    production: 'error',
    elsewhere: 'warning',
    setting: 'ALLOWED_HOSTS',
    message:
      'contains "*", which accepts any Host header (cache poisoning, password-reset poisoning).',
    hint: 'List the real host names, e.g. hop.example.com or .example.com for every subdomain.',
    meaning:
      '`ALLOWED_HOSTS` contains `*`: any `Host` header is accepted (cache and password-reset poisoning).',
    fix: 'List the real host names; add a CIDR block (e.g. `10.0.0.0/8`) if health checks use the bare IP.',
  }),
  E005: error({
    production: 'error',
    elsewhere: null,
    setting: 'DEBUG',
    message: 'is on in production: error pages would show internals.',
    hint: 'Unset DEBUG (or set DEBUG=false) in production.',
    meaning: '`DEBUG` is on in production: error pages would show internals.',
    fix: 'Unset `DEBUG` or set `DEBUG=false`.',
  }),
  E006: error<{ readonly present: string; readonly missing: string }>({
    production: 'error',
    elsewhere: 'warning',
    setting: ({ missing }) => missing,
    message: ({ present, missing }) => `${present} is set but ${missing} is not: half a TLS pair.`,
    hint: ({ present, missing }) =>
      `Set ${missing} too for HTTPS, or unset ${present} to serve plain HTTP behind a proxy.`,
    meaning: 'Half a TLS pair: `SERVER_TLS_CERT` is set without `SERVER_TLS_KEY`, or the reverse.',
    fix: 'Set both for HTTPS, or neither to serve plain HTTP behind a TLS-terminating proxy.',
  }),
  E007: error<{ readonly setting: string; readonly path: string; readonly code: string }>({
    production: 'error',
    elsewhere: 'warning',
    setting: ({ setting }) => setting,
    message: ({ path, code }) => `cannot read ${path} (${code}).`,
    hint: "Check the path and that the server's user may read it.",
    meaning:
      'A TLS file cannot be read (missing, a directory, no permission); the message names the file and the reason.',
    fix: "Fix the path, or let the server's user read the file.",
  }),
  E008: error<TlsUnusable>({
    production: 'error',
    elsewhere: 'warning',
    setting: ({ reason }) =>
      reason === 'not a certificate' ? 'SERVER_TLS_CERT' : 'SERVER_TLS_KEY',
    message: (args) =>
      args.reason === 'not a certificate'
        ? `${args.certPath} does not hold a PEM certificate.`
        : args.reason === 'not a key'
          ? `${args.keyPath} does not hold a PEM private key (or it is encrypted).`
          : `the key in ${args.keyPath} does not match the certificate in ${args.certPath}.`,
    hint: ({ reason }) =>
      reason === 'not a certificate'
        ? 'Point SERVER_TLS_CERT at the PEM certificate (chain) file.'
        : reason === 'not a key'
          ? 'Point SERVER_TLS_KEY at an unencrypted PEM private key file.'
          : 'Use the private key the certificate was issued for.',
    meaning:
      'A TLS file is unusable: the certificate is not PEM, the key is not an unencrypted PEM key, or the key does not match the certificate.',
    fix: 'Point `SERVER_TLS_CERT` at the PEM certificate chain and `SERVER_TLS_KEY` at the unencrypted private key it was issued for.',
  }),
  E009: error({
    production: 'error',
    elsewhere: 'error',
    setting: 'CORS_ALLOWED_ORIGINS',
    message: 'contains "*": any web site could call the API from its visitors\' browsers.',
    hint: 'List each origin that needs the API, e.g. https://dashboard.example.com.',
    meaning:
      "`CORS_ALLOWED_ORIGINS` contains `*`: any web site could call the API from its visitors' browsers.",
    fix: 'List each origin that needs the API, e.g. `https://dashboard.example.com`.',
  }),
  E010: error<Unparsable | { readonly dotenv: string }>({
    production: 'error',
    elsewhere: 'error',
    setting: (args) => ('dotenv' in args ? undefined : args.setting),
    message: (args) =>
      'dotenv' in args ? `${args.dotenv} is not a valid dotenv file.` : `${args.problem}.`,
    hint: (args) =>
      'dotenv' in args
        ? 'Write one NAME=value per line; quote values that contain spaces or #.'
        : `Set ${args.setting} to a valid value: ${args.doc}`,
    meaning:
      'A value cannot be parsed: a boolean other than true/false/1/0/yes/no, a number, duration or size out of range, an unknown choice, a list item of the wrong form, an unknown `NODE_ENV`, or a `.env` file that is not dotenv.',
    fix: 'Set the variable named in the finding to a valid value; `hoplink settings --doc` describes each one.',
  }),
  E011: error<{ readonly setting: string; readonly doc: string }>({
    production: 'error',
    elsewhere: null,
    setting: ({ setting }) => setting,
    message: 'is required in production.',
    hint: ({ setting, doc }) => `Set ${setting}: ${doc}`,
    meaning: 'A setting required in production is missing (e.g. `SITE_URL`).',
    fix: "Set it; the finding quotes the setting's description.",
  }),
  E012: error<
    | { readonly reason: 'both set'; readonly env: string }
    | {
        readonly reason: 'unreadable';
        readonly env: string;
        readonly path: string;
        readonly code: string;
      }
  >({
    production: 'error',
    elsewhere: 'error',
    setting: ({ reason, env }) => (reason === 'both set' ? env : `${env}_FILE`),
    message: (args) =>
      args.reason === 'both set'
        ? `both ${args.env} and ${args.env}_FILE are set.`
        : `cannot read ${args.path} (${args.code}).`,
    hint: ({ reason, env }) =>
      reason === 'both set'
        ? `Keep one: ${env}_FILE for a mounted secret, or ${env} itself.`
        : `Point ${env}_FILE at a readable file holding only the secret.`,
    meaning:
      'A secret is set both directly and as `NAME_FILE`, or the `NAME_FILE` file cannot be read.',
    fix: 'Keep one of the two; point `NAME_FILE` at a readable file holding only the secret.',
  }),
  E013: error<Unparsable>({
    production: 'error',
    elsewhere: 'error',
    setting: ({ setting }) => setting,
    message: ({ problem }) => `${problem}.`,
    hint: ({ setting, doc }) => `Set ${setting} to a valid value: ${doc}`,
    meaning: 'A `CSRF_TRUSTED_ORIGINS` entry is not an origin (no scheme, or a path).',
    fix: 'Write each as scheme and host, e.g. `https://app.example.com`.',
  }),
  E014: error({
    production: 'error',
    elsewhere: 'warning',
    setting: 'TRUSTED_PROXIES',
    message: 'is empty while TRUST_PROXY_HEADERS is on: forwarded headers would never be believed.',
    hint: 'Set TRUSTED_PROXIES to the CIDR blocks of your proxies, or turn TRUST_PROXY_HEADERS off.',
    meaning:
      '`TRUST_PROXY_HEADERS` is on but `TRUSTED_PROXIES` is empty, so forwarded headers would never be believed.',
    fix: "Set `TRUSTED_PROXIES` to your proxies' CIDR blocks, or turn `TRUST_PROXY_HEADERS` off.",
  }),
  E015: error<{ readonly workers: number }>({
    production: null,
    elsewhere: 'error',
    setting: 'WEB_CONCURRENCY',
    message: ({ workers }) =>
      `is ${workers}, but the embedded database (no DATABASE_URL) can only be opened by one process.`,
    hint: 'Set DATABASE_URL to a PostgreSQL server to run several workers, or WEB_CONCURRENCY=1.',
    meaning:
      '`WEB_CONCURRENCY` is above 1 on the embedded database (no `DATABASE_URL`), which only one process can open.',
    fix: 'Set `DATABASE_URL` to a PostgreSQL server to run several workers, or `WEB_CONCURRENCY=1`.',
  }),
  E016: error<
    | { readonly reason: 'no REDIS_URL' }
    | { readonly reason: 'lost on restart'; readonly mode: string }
  >({
    production: 'error',
    elsewhere: 'error',
    setting: 'QUEUE_MODE',
    message: (args) =>
      args.reason === 'no REDIS_URL'
        ? 'is redis, but REDIS_URL is not set.'
        : `is ${args.mode} in production: jobs would be lost on every restart.`,
    hint: ({ reason }) =>
      reason === 'no REDIS_URL'
        ? 'Set REDIS_URL, or unset QUEUE_MODE to run jobs in this process.'
        : 'Unset QUEUE_MODE (production uses redis) and set REDIS_URL.',
    meaning:
      '`QUEUE_MODE` is `redis` without `REDIS_URL`, or is not `redis` in production (jobs would be lost on restart).',
    fix: 'Set `REDIS_URL`; in production leave `QUEUE_MODE` unset.',
  }),

  E018: error<Unparsable>({
    production: 'error',
    elsewhere: 'error',
    setting: ({ setting }) => setting,
    message: ({ problem }) => `${problem}.`,
    hint: 'Copy the DSN from the Sentry project (Settings → Client Keys), or unset SENTRY_DSN to report nothing.',
    meaning:
      '`SENTRY_DSN` is not a DSN the Sentry SDK accepts (scheme http or https, a public key, a host, a numeric project id last). The value is not shown: it holds the key.',
    fix: "Copy the DSN from the Sentry project's Client Keys page, or unset `SENTRY_DSN`.",
  }),

  W001: warning({
    when: 'deploy',
    setting: 'SECURE_SSL_REDIRECT',
    message: 'is off: plain-HTTP requests are served instead of redirected to HTTPS.',
    hint: 'Configure TLS, or set SECURE_SSL_REDIRECT=true when a proxy terminates TLS (with TRUST_PROXY_HEADERS).',
    meaning: '`SECURE_SSL_REDIRECT` is off: plain-HTTP requests are served instead of redirected.',
    fix: 'Configure a TLS pair (turns it on), or set `SECURE_SSL_REDIRECT=true` behind a TLS-terminating proxy with `TRUST_PROXY_HEADERS`.',
  }),
  W002: warning({
    when: 'deploy',
    setting: 'SECURE_HSTS_SECONDS',
    message: 'is 0: browsers are not told to insist on HTTPS.',
    hint: 'Set SECURE_HSTS_SECONDS (try 3600 first, then 31536000) once HTTPS works everywhere.',
    meaning:
      '`SECURE_HSTS_SECONDS` is 0: browsers are not told to insist on HTTPS. (W003 and I003 are only checked when HSTS is on.)',
    fix: 'Once HTTPS works everywhere, set it to 3600, then to 31536000.',
  }),
  W003: warning({
    when: 'deploy',
    setting: 'SECURE_HSTS_INCLUDE_SUBDOMAINS',
    message: 'is off: subdomains can still be reached over plain HTTP.',
    hint: 'Set SECURE_HSTS_INCLUDE_SUBDOMAINS=true if every subdomain serves HTTPS only.',
    meaning: 'HSTS without `includeSubDomains`: subdomains can still be reached over plain HTTP.',
    fix: 'Set `SECURE_HSTS_INCLUDE_SUBDOMAINS=true` if every subdomain serves HTTPS only.',
  }),
  W004: retired('warning', 'HSTS without `preload` is now the note I003 (decision 0015).'),
  W005: warning({
    when: 'deploy',
    setting: 'SESSION_COOKIE_SECURE',
    message: 'is off: the session cookie may travel over plain HTTP.',
    hint: 'Set SESSION_COOKIE_SECURE=true (implied by a TLS pair).',
    meaning: '`SESSION_COOKIE_SECURE` is off: the session cookie may travel over plain HTTP.',
    fix: 'Set `SESSION_COOKIE_SECURE=true` (implied by a TLS pair).',
  }),
  W006: warning({
    when: 'deploy',
    setting: 'CSRF_COOKIE_SECURE',
    message: 'is off: the CSRF cookie may travel over plain HTTP.',
    hint: 'Set CSRF_COOKIE_SECURE=true (implied by a TLS pair).',
    meaning: '`CSRF_COOKIE_SECURE` is off: the CSRF cookie may travel over plain HTTP.',
    fix: 'Set `CSRF_COOKIE_SECURE=true` (implied by a TLS pair).',
  }),
  W007: warning<{ readonly value: string }>({
    when: 'deploy',
    setting: 'X_FRAME_OPTIONS',
    message: ({ value }) => `is ${value}: pages may be framed by this origin.`,
    hint: 'Use DENY unless the site frames its own pages.',
    meaning: '`X_FRAME_OPTIONS` is not `DENY`: pages may be framed by the same origin.',
    fix: 'Use `DENY` unless the site frames its own pages.',
  }),
  W008: warning({
    when: 'deploy',
    setting: 'SECURE_CONTENT_TYPE_NOSNIFF',
    message: 'is off: browsers may sniff responses into executable types.',
    hint: 'Set SECURE_CONTENT_TYPE_NOSNIFF=true.',
    meaning:
      '`SECURE_CONTENT_TYPE_NOSNIFF` is off: browsers may sniff responses into executable types.',
    fix: 'Set `SECURE_CONTENT_TYPE_NOSNIFF=true`.',
  }),
  W009: warning<{ readonly policy: '' | 'unsafe-url' }>({
    when: 'deploy',
    setting: 'SECURE_REFERRER_POLICY',
    message: ({ policy }) =>
      policy === ''
        ? 'is empty: no Referrer-Policy is sent.'
        : 'is unsafe-url: full URLs leak to other sites.',
    hint: 'Use strict-origin-when-cross-origin (the default) or stricter.',
    meaning:
      '`SECURE_REFERRER_POLICY` is empty (no header) or `unsafe-url` (full URLs leak to other sites).',
    fix: 'Keep `strict-origin-when-cross-origin` (the default) or stricter.',
  }),
  W010: warning({
    when: 'deploy',
    setting: 'SITE_URL',
    message: 'is not https: short URLs and emailed links would be sent over plain HTTP.',
    hint: 'Use the https:// address the public reaches the site on.',
    meaning:
      'In production, `SITE_URL` is not `https://`: short URLs and emailed links would use plain HTTP. Not raised when `SITE_URL` is missing (E011).',
    fix: 'Use the https address the public reaches the site on.',
  }),
  W011: warning({
    when: 'deploy',
    setting: 'CSP_REPORT_ONLY',
    message: 'is on: the Content-Security-Policy is only reported, not enforced.',
    hint: 'Turn it off once the reports are clean.',
    meaning:
      'In production, `CSP_REPORT_ONLY` is on: the Content-Security-Policy is reported, not enforced.',
    fix: 'Turn it off once the violation reports are clean.',
  }),
  W012: warning<{ readonly length: number }>({
    when: 'deploy',
    setting: 'PASSWORD_MIN_LENGTH',
    message: ({ length }) =>
      `is ${length}: short passwords are guessable offline if the database leaks.`,
    hint: 'Set PASSWORD_MIN_LENGTH to 12 or more (the default).',
    meaning:
      '`PASSWORD_MIN_LENGTH` is below 12: short passwords are guessable offline if the database leaks.',
    fix: 'Set it to 12 or more (the default).',
  }),
  W013: warning({
    when: 'deploy',
    setting: 'ADMIN_PATH',
    message: 'is the default /admin: the staff area is where every scanner looks first.',
    hint: 'Set ADMIN_PATH to a path nobody would guess: /staff- and a few random characters (openssl rand -hex 4).',
    meaning:
      '`ADMIN_PATH` is the default `/admin`, where every scanner looks for a staff area first.',
    fix: 'Set `ADMIN_PATH` to a path nobody would guess, such as `/staff-` and a few random characters (`openssl rand -hex 4`).',
  }),
  W014: warning<{ readonly path: string }>({
    when: 'deploy',
    message: ({ path }) => `${path} holds secrets and is readable by every user on this machine.`,
    hint: ({ path }) => `Run: chmod o-rwx ${path}`,
    meaning:
      'A file holding secrets (a `NAME_FILE` file, or a `.env` that sets a secret) is readable by every user on the machine.',
    fix: "`chmod o-rwx` the file (the message names it); 0600 owned by the server's user is best.",
  }),
  W015: warning({
    when: 'deploy',
    setting: 'DEBUG',
    message: 'is on.',
    hint: 'Deploy with NODE_ENV=production and DEBUG unset.',
    meaning: '`DEBUG` is on (outside production; in production it is E005).',
    fix: 'Deploy with `NODE_ENV=production` and `DEBUG` unset.',
  }),
  W016: warning<{ readonly name: string; readonly likely: string }>({
    when: 'start, check',
    setting: ({ name }) => name,
    message: ({ likely }) => `is not a Hoplink setting; did you mean ${likely}?`,
    hint: ({ likely }) => `Rename it to ${likely}, or remove it.`,
    meaning:
      'A variable is not a Hoplink setting but is within two edits of one (`ALLOWED_HOST`, `SECRET_KEYS`).',
    fix: 'Rename it to the setting the message suggests, or remove it.',
  }),
  W017: warning<{ readonly path: string; readonly unwritable?: string }>({
    when: 'start',
    setting: 'SECRET_KEY',
    message: ({ path, unwritable }) =>
      unwritable === undefined
        ? `is not set; using the development secret in ${path}.`
        : `is not set and ${path} cannot be written (${unwritable}); using a secret that lasts until restart.`,
    hint: ({ unwritable }) =>
      unwritable === undefined
        ? 'Fine for development. In production set SECRET_KEY or SECRET_KEY_FILE.'
        : 'Make DATA_DIR writable, or set SECRET_KEY.',
    meaning:
      'Development without `SECRET_KEY`: the secret generated once in `DATA_DIR/.dev-secret` (mode 0600) is used.',
    fix: 'Nothing, in development. Production requires `SECRET_KEY` or `SECRET_KEY_FILE` (E001).',
  }),
  W018: warning<{ readonly profile: string }>({
    when: 'deploy',
    setting: 'NODE_ENV',
    message: ({ profile }) => `is "${profile}", not production.`,
    hint: 'Set NODE_ENV=production on servers: it turns on the strict checks.',
    meaning: '`NODE_ENV` is not `production`, so the strict rules above are not applied.',
    fix: 'Set `NODE_ENV=production` on servers.',
  }),
  W019: warning<{ readonly pending: readonly string[] }>({
    when: 'deploy',
    setting: 'DATABASE_URL',
    message: ({ pending }) =>
      `the database has ${pending.length} pending migration(s): ${pending.join(', ')}.`,
    hint: 'Run `hoplink migrate` before starting the new release (production never migrates on start).',
    meaning: 'The database (PostgreSQL, when reachable) has pending migrations.',
    fix: 'Run `hoplink migrate` before starting the new release (production never migrates on start).',
  }),
  W020: warning<{ readonly modified: readonly string[] }>({
    when: 'deploy',
    setting: 'DATABASE_URL',
    message: ({ modified }) =>
      `applied migration(s) changed since they ran: ${modified.join(', ')}.`,
    hint: 'Never edit an applied migration; restore the file and add a new migration instead.',
    meaning: 'An applied migration was edited after it ran.',
    fix: 'Restore the file and add a new migration instead.',
  }),
  W021: warning<{ readonly problem: string }>({
    when: 'deploy',
    setting: 'DATA_DIR',
    message: ({ problem }) =>
      `${problem}: web processes could not spool clicks there while Redis is unreachable.`,
    hint: 'Point DATA_DIR at a writable, persistent volume (the click spool is DATA_DIR/click-spool).',
    meaning:
      'With Redis, `DATA_DIR` (or its nearest existing parent) is not a writable directory: web processes could not spool clicks there while Redis is unreachable.',
    fix: 'Point `DATA_DIR` at a writable, persistent volume; the click spool is `DATA_DIR/click-spool`.',
  }),
  W022: warning<{ readonly setting: string; readonly address: string }>({
    when: 'deploy',
    setting: ({ setting }) => setting,
    message: ({ address }) =>
      `is ${address}, reachable from other machines, and METRICS_TOKEN is not set: anyone who can connect reads the metrics.`,
    hint: ({ setting }) =>
      `Set METRICS_TOKEN (\`openssl rand -hex 32\`) and give Prometheus the same token, or bind ${setting} to 127.0.0.1.`,
    meaning:
      '`METRICS_LISTEN` or `WORKER_METRICS_LISTEN` is not on loopback and `METRICS_TOKEN` is unset: whoever can connect reads the metrics.',
    fix: 'Set `METRICS_TOKEN` and give Prometheus the same token, or bind the listener to `127.0.0.1`.',
  }),

  W023: warning<{ readonly host: string }>({
    when: 'deploy',
    setting: 'SENTRY_DSN',
    message: ({ host }) =>
      `sends error reports to ${host} over plain http: stack traces and request paths cross the network unencrypted.`,
    hint: 'Use the https:// DSN of the Sentry project, or a relay on this machine (127.0.0.1).',
    meaning:
      '`SENTRY_DSN` is `http://` to a host other than loopback: error reports, the DSN key with them, travel unencrypted.',
    fix: 'Use the `https://` DSN, or send to a Sentry relay on the same machine.',
  }),
  W024: warning({
    when: 'deploy',
    setting: 'CLICK_VISITOR_RETENTION_DAYS',
    message:
      "is 1: yesterday's visitor hashes go at midnight UTC, while queue retries still bring yesterday's clicks for up to nine hours; such a visitor counts twice.",
    hint: 'Leave it at 2 (the default), the fewest days that count every visitor once; the hashes are deleted the day after.',
    meaning:
      "`CLICK_VISITOR_RETENTION_DAYS=1` deletes yesterday's visitor hashes at midnight UTC, but a click of yesterday can still arrive (queue retries, a spool replayed after a Redis outage) and then counts its visitor a second time.",
    fix: 'Set it to 2 (the default) or more; decision 0024.',
  }),

  W025: warning({
    when: 'deploy',
    setting: 'REGISTRATION_MODE',
    message:
      'is open and EMAIL_VERIFICATION is off: anyone can sign up with any address, even one that is not theirs, and create links at once.',
    hint: 'Set EMAIL_VERIFICATION=true so new accounts confirm their address before creating links, or REGISTRATION_MODE=invite (or closed) if only people you choose should have accounts.',
    meaning:
      'Sign-up is open to anyone and new accounts may create links before confirming their address: a public shortener without it is an easy tool for spam and phishing links, under addresses nobody checked.',
    fix: 'Set `EMAIL_VERIFICATION=true`, or `REGISTRATION_MODE=invite` (staff invite people) or `closed`.',
  }),

  I001: note<{ readonly reason: string }>({
    when: 'deploy',
    setting: 'DATABASE_URL',
    message: ({ reason }) =>
      `the database could not be reached from here (${reason}); migrations were not checked.`,
    hint: 'Run the check where the database is reachable, or run `hoplink migrate --check` at deploy time.',
    meaning:
      'The PostgreSQL database could not be reached from where the check ran, so pending migrations were not checked.',
    fix: 'Run the check where the database is reachable, or run `hoplink migrate --check` at deploy time.',
  }),
  I002: note({
    when: 'deploy',
    setting: 'ADMIN_ALLOWED_IPS',
    message: 'is empty: the staff area answers staff sessions from any address.',
    hint: 'List the networks staff work from (office, VPN), e.g. ADMIN_ALLOWED_IPS=10.8.0.0/16; other addresses then get a 404.',
    meaning:
      '`ADMIN_ALLOWED_IPS` is empty: the staff area (`ADMIN_PATH`) answers staff sessions from any address.',
    fix: 'List the networks staff work from, e.g. `ADMIN_ALLOWED_IPS=10.8.0.0/16`; other addresses get a plain 404 there.',
  }),
  I003: note({
    when: 'deploy',
    setting: 'SECURE_HSTS_PRELOAD',
    message:
      "is off: the site is not eligible for the browsers' HSTS preload list; submit it only deliberately.",
    hint: 'Leave it off unless you mean to submit the domain at hstspreload.org: every subdomain must serve HTTPS, and leaving the list takes months.',
    meaning:
      "HSTS is on without `preload` (the default, also with a TLS pair): the site is not eligible for the browsers' preload list.",
    fix: 'Leave it off unless you mean to submit the domain at hstspreload.org: every subdomain must serve HTTPS, and leaving the list takes months. Then set `SECURE_HSTS_PRELOAD=true`.',
  }),
  I004: note({
    when: 'deploy',
    setting: 'CLICK_RETENTION_DAYS',
    message:
      'is 0: every click is kept forever, with its referrer URL, anonymised IP and visitor hash.',
    hint: 'Keep only what the recent clicks list needs, e.g. CLICK_RETENTION_DAYS=90; totals, charts and top lists come from daily counts that stay.',
    meaning:
      '`CLICK_RETENTION_DAYS` is 0 (the default): individual clicks, with their referrer URLs, anonymised IPs and visitor hashes, are never deleted.',
    fix: 'Set `CLICK_RETENTION_DAYS` to the days of individual clicks worth keeping (e.g. 90); the daily counts behind totals and charts are kept whatever it says. Decision 0024.',
  }),
};

type Registry = typeof FINDINGS;
export type ActiveEntry = ErrorEntry<never> | NoticeEntry<never>;
export type RegistryEntry = ActiveEntry | RetiredEntry;

/** The key of every finding that can still be raised (`'E001'`, …; retired ids excluded). */
export type FindingKey = {
  [K in keyof Registry]: Registry[K] extends RetiredEntry ? never : K;
}[keyof Registry];

/** What the entry's templates need: nothing for a finding whose words never change. */
type FindingArgs<K extends FindingKey> =
  Registry[K] extends Declared<infer A> ? ([A] extends [undefined] ? [] : [args: A]) : never;

/** The id operators see, `hoplink.E001`. */
export type FindingId = `hoplink.${FindingKey}`;

/**
 * The finding `key` declares, its templates filled from `args`. Its level is the entry's own;
 * the loader adjusts an `E` finding to the profile with `levelIn`.
 */
export function finding<K extends FindingKey>(key: K, ...args: FindingArgs<K>): Finding {
  const entry = FINDINGS[key] as Declared<unknown> & { readonly level: Level };
  const [values] = args as unknown[];
  const fill = (text: Text<unknown>) => (typeof text === 'function' ? text(values) : text);
  const setting = typeof entry.setting === 'function' ? entry.setting(values) : entry.setting;
  return {
    id: `hoplink.${key}`,
    level: entry.level,
    ...(setting === undefined ? {} : { setting }),
    message: fill(entry.message),
    hint: fill(entry.hint),
  };
}

const ENTRIES = new Map<string, RegistryEntry>(
  Object.entries(FINDINGS).map(([key, entry]) => [`hoplink.${key}`, entry]),
);

/** The level of `raised` under `profile`: an `E` finding forgiven outside production warns. */
export function levelIn(raised: Finding, profile: Profile): Level {
  const entry = ENTRIES.get(raised.id);
  if (entry === undefined || !('production' in entry)) return raised.level;
  return (profile === 'production' ? entry.production : entry.elsewhere) ?? raised.level;
}
