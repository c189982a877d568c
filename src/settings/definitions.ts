import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { Secret } from '#src/lib/secret.ts';
import { parseSentryDsn } from '#src/lib/sentry-dsn.ts';
import { listenAddress } from './listen-address.ts';
import {
  bool,
  cidrOrIpProblem,
  duration,
  fraction,
  hostPatternProblem,
  httpUrl,
  int,
  list,
  oneOf,
  originProblem,
  size,
  text,
  type Parser,
} from './parsers.ts';

export const PROFILES = ['development', 'test', 'production'] as const;
export type Profile = (typeof PROFILES)[number];

/**
 * What a default may depend on: the profile, whether a usable TLS pair was configured, and
 * SERVER_PORT as given (unset when it was not).
 */
export interface DefaultContext {
  readonly profile: Profile;
  readonly hasTls: boolean;
  readonly serverPort?: string;
}

export interface SettingDefinition<T> {
  /** The environment variable. */
  readonly env: string;
  /** One line for `hoplink settings --doc`, the docs table and `.env.example`. */
  readonly doc: string;
  readonly parse: Parser<T>;
  /** Secrets are never printed, accept `NAME_FILE`, and are checked for world-readable files. */
  readonly secret: boolean;
  /** The raw default for a context; undefined means unset. */
  readonly default: (ctx: DefaultContext) => string | undefined;
  /** Docs wording where the computed default does not explain itself. */
  readonly defaultDoc?: { development?: string; production?: string };
  /** Must be set explicitly in production. */
  readonly requiredInProduction: boolean;
  /** Phantom marker: whether the resolved value may be undefined. */
  readonly optional: boolean;
}

interface DefinitionInput<T> {
  env: string;
  doc: string;
  parse: Parser<T>;
  secret?: boolean;
  default?: string | ((ctx: DefaultContext) => string | undefined);
  defaultDoc?: { development?: string; production?: string };
  requiredInProduction?: boolean;
}

function toDefinition<T>(input: DefinitionInput<T>, optional: boolean): SettingDefinition<T> {
  const fallback = input.default;
  return {
    env: input.env,
    doc: input.doc,
    parse: input.parse,
    secret: input.secret ?? false,
    default: typeof fallback === 'function' ? fallback : () => fallback,
    ...(input.defaultDoc ? { defaultDoc: input.defaultDoc } : {}),
    requiredInProduction: input.requiredInProduction ?? false,
    optional,
  };
}

/** A setting that always has a value (a default, or required where it has none). */
const setting = <T>(input: DefinitionInput<T>): SettingDefinition<T> => toDefinition(input, false);
/** A setting that may stay unset. */
const maybe = <T>(input: DefinitionInput<T>): SettingDefinition<T | undefined> =>
  toDefinition(input, true);

const secretText = (): Parser<Secret> => z.string().transform((value) => new Secret(value.trim()));
const secretList = (): Parser<readonly Secret[]> =>
  z.string().transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
      .map((item) => new Secret(item)),
  );

const postgresUrl = (): Parser<Secret> =>
  z.string().transform((raw, ctx) => {
    const value = raw.trim();
    let valid: boolean;
    try {
      const url = new URL(value);
      valid =
        (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    } catch {
      valid = false;
    }
    if (!valid) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a postgres:// URL such as postgres://hoplink:password@db:5432/hoplink',
      });
      return z.NEVER;
    }
    return new Secret(value);
  });

/** A URL with one of the given schemes and a host, kept as a Secret (it may hold a password). */
const serviceUrl = (schemes: readonly string[], example: string): Parser<Secret> =>
  z.string().transform((raw, ctx) => {
    const value = raw.trim();
    let valid: boolean;
    try {
      const url = new URL(value);
      valid = schemes.includes(url.protocol) && url.hostname !== '';
    } catch {
      valid = false;
    }
    if (!valid) {
      ctx.addIssue({ code: 'custom', message: `must be a URL such as ${example}` });
      return z.NEVER;
    }
    return new Secret(value);
  });

const byProfile =
  (development: string | undefined, production: string | undefined, test = development) =>
  ({ profile }: DefaultContext) =>
    profile === 'production' ? production : profile === 'test' ? test : development;

const tcpPort = int(0, 65535);
const DEFAULT_PORT = '8000';

/** Outside production, short URLs point at this machine as served: the port, and https with TLS. */
const localSiteUrl = ({ profile, hasTls, serverPort }: DefaultContext): string | undefined => {
  if (profile === 'production') return undefined;
  // An invalid SERVER_PORT is reported on its own; SITE_URL should not add a second finding.
  // With SERVER_PORT=0 the web workers are started with the port the primary actually took.
  const parsed = tcpPort.safeParse(serverPort ?? DEFAULT_PORT);
  return `${hasTls ? 'https' : 'http'}://localhost:${parsed.success ? parsed.data : DEFAULT_PORT}`;
};

/** Secure defaults follow TLS: on when a TLS pair is configured, off otherwise (SPEC §2). */
const tlsDerived = (on: string, off: string) => ({
  default: ({ hasTls }: DefaultContext) => (hasTls ? on : off),
  defaultDoc: {
    development: `TLS-derived: ${on} with TLS, ${off} without`,
    production: 'TLS-derived, overridable',
  },
});

/**
 * Every runtime setting Hoplink reads, in documentation order. The key is the property on the
 * frozen Settings object; `env` is the variable an operator sets.
 */
export const definitions = {
  nodeEnv: setting({
    env: 'NODE_ENV',
    doc: 'Profile: development (forgiving), test, or production (strict).',
    parse: oneOf(PROFILES),
    default: 'development',
  }),
  debug: setting({
    env: 'DEBUG',
    doc: 'Detailed error pages and verbose diagnostics; refused in production.',
    parse: bool(),
    default: byProfile('true', 'false', 'false'),
  }),
  secretKey: maybe({
    env: 'SECRET_KEY',
    doc: 'Signs sessions, CSRF tokens and reset links: at least 50 random characters.',
    parse: secretText(),
    secret: true,
    requiredInProduction: true,
    defaultDoc: { development: 'generated once into DATA_DIR/.dev-secret', production: 'required' },
  }),
  secretKeyFallbacks: setting({
    env: 'SECRET_KEY_FALLBACKS',
    doc: 'Previous secret keys, still accepted when verifying during a key rotation; never used to sign.',
    parse: secretList(),
    secret: true,
    default: '',
  }),
  allowedHosts: setting({
    env: 'ALLOWED_HOSTS',
    doc: 'Host names this site answers to: exact names, .domain for a domain and its subdomains, CIDR blocks for IP hosts.',
    parse: list(hostPatternProblem),
    default: byProfile('localhost,127.0.0.1,[::1]', undefined),
    requiredInProduction: true,
  }),
  siteUrl: setting({
    env: 'SITE_URL',
    doc: 'Public base URL; the only base used for short URLs and links in emails.',
    parse: httpUrl(),
    default: localSiteUrl,
    defaultDoc: { development: 'derived: `http://localhost:<SERVER_PORT>` (https with TLS)' },
    requiredInProduction: true,
  }),
  csrfTrustedOrigins: setting({
    env: 'CSRF_TRUSTED_ORIGINS',
    doc: 'Origins (with scheme) allowed to submit forms cross-origin, e.g. https://app.example.com.',
    parse: list(originProblem),
    default: '',
  }),
  corsAllowedOrigins: setting({
    env: 'CORS_ALLOWED_ORIGINS',
    doc: 'Origins allowed to call /api/ from a browser; explicit origins only.',
    parse: list((value) => (value === '*' ? null : originProblem(value))),
    default: '',
  }),
  dataDir: setting({
    env: 'DATA_DIR',
    doc: 'Directory for local data: the development secret, the embedded database and the click spool (keep it on a persistent volume in production).',
    parse: text(),
    default: './data',
  }),
  staticRoot: setting({
    env: 'STATIC_ROOT',
    doc: 'Directory of the built static assets (`hoplink build` writes it); production refuses to start without its manifest.json, development builds assets live instead.',
    parse: text(),
    default: 'dist/static',
  }),
  serverHost: setting({
    env: 'SERVER_HOST',
    doc: 'Interface to listen on.',
    parse: text(),
    default: '127.0.0.1',
    defaultDoc: { production: '127.0.0.1 (0.0.0.0 in the container image)' },
  }),
  serverPort: setting({
    env: 'SERVER_PORT',
    doc: 'TCP port to listen on (0 picks a free port).',
    parse: tcpPort,
    default: DEFAULT_PORT,
  }),
  webConcurrency: setting({
    env: 'WEB_CONCURRENCY',
    doc: 'Number of web worker processes.',
    parse: int(1, 256),
    default: byProfile('1', String(availableParallelism())),
    defaultDoc: { production: 'available CPUs' },
  }),
  webHeapLimit: setting({
    env: 'WEB_HEAP_LIMIT',
    doc: "Old-generation heap limit of each web worker (Node's --max-old-space-size); V8 collects sooner near it, keeping memory flat under load. A worker needs about 40 MiB live; 0 keeps Node's default.",
    parse: size({ allowZero: true }),
    default: '96MiB',
  }),
  serverTlsCert: maybe({
    env: 'SERVER_TLS_CERT',
    doc: 'Path to the PEM certificate (chain); with SERVER_TLS_KEY turns on HTTPS and secure defaults.',
    parse: text(),
    defaultDoc: { development: 'unset', production: 'see the TLS matrix' },
  }),
  serverTlsKey: maybe({
    env: 'SERVER_TLS_KEY',
    doc: 'Path to the PEM private key matching SERVER_TLS_CERT.',
    parse: text(),
    defaultDoc: { development: 'unset', production: 'see the TLS matrix' },
  }),
  serverRequestTimeout: setting({
    env: 'SERVER_REQUEST_TIMEOUT',
    doc: 'Longest time to receive a whole request.',
    parse: duration(),
    default: '30s',
  }),
  serverKeepaliveTimeout: setting({
    env: 'SERVER_KEEPALIVE_TIMEOUT',
    doc: 'How long an idle keep-alive connection stays open; keep it above the proxy idle timeout.',
    parse: duration(),
    default: '65s',
  }),
  serverShutdownTimeout: setting({
    env: 'SERVER_SHUTDOWN_TIMEOUT',
    doc: 'How long a stopping process waits for in-flight requests before closing them.',
    parse: duration(),
    default: '25s',
  }),
  serverBodyLimit: setting({
    env: 'SERVER_BODY_LIMIT',
    doc: 'Largest request body accepted (larger ones get 413).',
    parse: size(),
    default: '1MiB',
  }),
  trustProxyHeaders: setting({
    env: 'TRUST_PROXY_HEADERS',
    doc: 'Honour X-Forwarded-For/-Proto/-Host, only from TRUSTED_PROXIES.',
    parse: bool(),
    default: 'false',
  }),
  trustedProxies: setting({
    env: 'TRUSTED_PROXIES',
    doc: 'CIDR blocks of the reverse proxies whose forwarded headers are believed.',
    parse: list(cidrOrIpProblem),
    default: '127.0.0.1/8,::1/128',
  }),
  secureSslRedirect: setting({
    env: 'SECURE_SSL_REDIRECT',
    doc: 'Redirect plain-HTTP requests to HTTPS (health checks exempt).',
    parse: bool(),
    ...tlsDerived('true', 'false'),
  }),
  secureHstsSeconds: setting({
    env: 'SECURE_HSTS_SECONDS',
    doc: 'Strict-Transport-Security max-age in seconds on HTTPS responses; 0 sends none.',
    parse: int(0, 2 ** 31 - 1),
    ...tlsDerived('31536000', '0'),
  }),
  secureHstsIncludeSubdomains: setting({
    env: 'SECURE_HSTS_INCLUDE_SUBDOMAINS',
    doc: 'Add includeSubDomains to Strict-Transport-Security.',
    parse: bool(),
    ...tlsDerived('true', 'false'),
  }),
  secureHstsPreload: setting({
    env: 'SECURE_HSTS_PRELOAD',
    doc: 'Add preload to Strict-Transport-Security; never implied by TLS (hard to undo: read hstspreload.org first).',
    parse: bool(),
    default: 'false',
  }),
  sessionCookieSecure: setting({
    env: 'SESSION_COOKIE_SECURE',
    doc: 'Send the session cookie over HTTPS only (and use the __Host- prefix).',
    parse: bool(),
    ...tlsDerived('true', 'false'),
  }),
  csrfCookieSecure: setting({
    env: 'CSRF_COOKIE_SECURE',
    doc: 'Send the CSRF cookie over HTTPS only.',
    parse: bool(),
    ...tlsDerived('true', 'false'),
  }),
  secureContentTypeNosniff: setting({
    env: 'SECURE_CONTENT_TYPE_NOSNIFF',
    doc: 'Send X-Content-Type-Options: nosniff.',
    parse: bool(),
    default: 'true',
  }),
  xFrameOptions: setting({
    env: 'X_FRAME_OPTIONS',
    doc: 'X-Frame-Options (and CSP frame-ancestors): DENY or SAMEORIGIN.',
    parse: oneOf(['DENY', 'SAMEORIGIN']),
    default: 'DENY',
  }),
  secureReferrerPolicy: setting({
    env: 'SECURE_REFERRER_POLICY',
    doc: 'Referrer-Policy header; empty sends none.',
    parse: oneOf([
      'no-referrer',
      'no-referrer-when-downgrade',
      'origin',
      'origin-when-cross-origin',
      'same-origin',
      'strict-origin',
      'strict-origin-when-cross-origin',
      'unsafe-url',
      '',
    ]),
    default: 'strict-origin-when-cross-origin',
  }),
  secureCrossOriginOpenerPolicy: setting({
    env: 'SECURE_CROSS_ORIGIN_OPENER_POLICY',
    doc: 'Cross-Origin-Opener-Policy header; empty sends none.',
    parse: oneOf(['same-origin', 'same-origin-allow-popups', 'unsafe-none', '']),
    default: 'same-origin',
  }),
  cspReportOnly: setting({
    env: 'CSP_REPORT_ONLY',
    doc: 'Send the Content-Security-Policy as report-only (to trial a change); enforce otherwise.',
    parse: bool(),
    default: 'false',
  }),
  cspReportUri: setting({
    env: 'CSP_REPORT_URI',
    doc: 'Where browsers send CSP violation reports.',
    parse: text(),
    default: '/csp-report',
  }),
  adminPath: setting({
    env: 'ADMIN_PATH',
    doc: 'Path of the staff-only administration area: one segment such as /staff-x1y2 (check --deploy warns about the default); no link code may take it.',
    parse: z.string().transform((raw, ctx) => {
      // A trailing slash is forgiven; anything beyond one segment is not (links use /<a>/<b>).
      const path = raw.trim().replace(/(?<=.)\/$/, '');
      const segment = /^\/([A-Za-z0-9_-]{1,64})$/.exec(path)?.[1];
      if (segment === undefined) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be a slash and one path segment of 1 to 64 letters, digits, - or _, such as /staff-x1y2',
        });
        return z.NEVER;
      }
      const taken = [
        'api',
        'static',
        'accounts',
        'links',
        'settings',
        'healthz',
        'readyz',
        'csp-report',
      ];
      if (taken.includes(segment.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          message: `"${path}" is one of Hoplink's own paths (/${taken.join(', /')}); choose another, such as /staff-x1y2`,
        });
        return z.NEVER;
      }
      return path;
    }),
    default: '/admin',
  }),
  adminAllowedIps: setting({
    env: 'ADMIN_ALLOWED_IPS',
    doc: 'CIDR blocks (e.g. 10.0.0.0/8, 203.0.113.7/32) allowed to reach ADMIN_PATH; other addresses get a 404. Empty allows every address.',
    parse: list(cidrOrIpProblem),
    default: '',
  }),
  databaseUrl: maybe({
    env: 'DATABASE_URL',
    doc: 'PostgreSQL connection URL (postgres://user:pass@host:5432/db); unset means embedded PGlite in DATA_DIR/db.',
    parse: postgresUrl(),
    secret: true,
    requiredInProduction: true,
    defaultDoc: {
      development: 'unset: embedded PGlite (in memory under NODE_ENV=test)',
      production: 'required',
    },
  }),
  databasePoolMax: setting({
    env: 'DATABASE_POOL_MAX',
    doc: 'Most PostgreSQL connections each process opens.',
    parse: int(1, 200),
    default: '10',
  }),
  sessionCookieAge: setting({
    env: 'SESSION_COOKIE_AGE',
    doc: 'A session ends after this long without a request (sliding idle expiry).',
    parse: duration(),
    default: '14d',
  }),
  sessionMaxAge: setting({
    env: 'SESSION_MAX_AGE',
    doc: 'A session ends this long after login whatever its activity (absolute cap).',
    parse: duration(),
    default: '90d',
  }),
  passwordMinLength: setting({
    env: 'PASSWORD_MIN_LENGTH',
    doc: 'Shortest password accepted at sign-up and change (check --deploy wants 12 or more).',
    parse: int(8, 128),
    default: '12',
  }),
  // Who may sign up (decision 0027).
  registrationMode: setting({
    env: 'REGISTRATION_MODE',
    doc: 'Who may create an account: open (anyone, through the sign-up form), invite (only with an invitation staff made) or closed (no sign-up page; staff invite, or `hoplink createsuperuser`).',
    parse: oneOf(['open', 'invite', 'closed']),
    default: 'open',
  }),
  invitationTtl: setting({
    env: 'INVITATION_TTL',
    doc: 'How long an invitation link works; it works once.',
    parse: duration(),
    default: '7d',
  }),
  emailVerification: setting({
    env: 'EMAIL_VERIFICATION',
    doc: 'New accounts, and accounts that change their address, confirm it through an emailed link before they may create links (they can sign in and look around meanwhile). Existing accounts count as confirmed.',
    parse: bool(),
    default: 'false',
  }),
  emailVerificationTtl: setting({
    env: 'EMAIL_VERIFICATION_TTL',
    doc: 'How long a link that confirms an email address works; it works once, and a new one can be asked for.',
    parse: duration(),
    default: '24h',
  }),
  redirectStatus: setting({
    env: 'REDIRECT_STATUS',
    doc: 'Default HTTP status of new links (each link may choose its own).',
    parse: oneOf(['301', '302', '307', '308']).transform(
      (status) => Number(status) as 301 | 302 | 307 | 308,
    ),
    default: '302',
  }),
  clickIpMode: setting({
    env: 'CLICK_IP_MODE',
    doc: 'How click IPs are stored: anonymize (IPv4 /24, IPv6 /48), full, or none.',
    parse: oneOf(['anonymize', 'full', 'none']),
    default: 'anonymize',
  }),
  redirectCacheTtl: setting({
    env: 'REDIRECT_CACHE_TTL',
    doc: 'How long a web process trusts its cached copy of a link before looking it up again; changes reach every process at once through Redis, so this is the safety net for a missed one. While the database is down, cached links keep redirecting past it.',
    parse: duration(),
    default: '30s',
  }),
  clickBatchSize: setting({
    env: 'CLICK_BATCH_SIZE',
    doc: 'Clicks a web process gathers into one batch for the clicks queue; a full batch is sent at once.',
    parse: int(1, 5_000),
    default: '500',
  }),
  clickFlushInterval: setting({
    env: 'CLICK_FLUSH_INTERVAL',
    doc: 'Longest a captured click waits in a web process before its batch is sent: what a hard crash of that process can lose.',
    parse: duration(),
    default: '1s',
  }),
  clickSpoolMaxSize: setting({
    env: 'CLICK_SPOOL_MAX_SIZE',
    doc: 'Largest size of the files (under DATA_DIR/click-spool) a web process appends click batches to while Redis is unreachable; beyond it batches wait in memory (10,000 clicks at most, then the oldest are dropped, and logged).',
    parse: size(),
    default: '256MiB',
  }),
  // Click retention (decision 0024): the daily counts behind totals and charts are always kept.
  clickRetentionDays: setting({
    env: 'CLICK_RETENTION_DAYS',
    doc: 'UTC days of individual clicks kept, today included (the recent clicks list, with referrer URLs and anonymised IPs); older ones are deleted hourly in small batches. Totals, charts and top lists come from daily counts that are kept. 0 keeps clicks forever (check --deploy notes it).',
    parse: int(0, 36_500),
    default: '0',
  }),
  clickVisitorRetentionDays: setting({
    env: 'CLICK_VISITOR_RETENTION_DAYS',
    doc: 'UTC days, today included, a visitor hash is kept to count a visitor once a day; it serves only while clicks of that day can still arrive (queue retries run up to nine hours past midnight), so 1 (today only) may count a late visitor twice.',
    parse: int(1, 365),
    default: '2',
  }),
  apiRateLimit: setting({
    env: 'API_RATE_LIMIT',
    doc: 'JSON API requests allowed per minute per token (per IP without one); counted in Redis across every process when REDIS_URL is set, per process otherwise.',
    parse: int(1, 1_000_000),
    default: '600',
  }),
  redisUrl: maybe({
    env: 'REDIS_URL',
    doc: 'Redis for the job queue and the rate limits every process shares (redis://[:password@]host:6379[/db], rediss:// for TLS); unset means an in-process queue and per-process limits.',
    parse: serviceUrl(['redis:', 'rediss:'], 'redis://:password@redis:6379/0'),
    secret: true,
    requiredInProduction: true,
    defaultDoc: {
      development: 'unset: in-process queue (jobs are lost on restart)',
      production: 'required',
    },
  }),
  queueMode: maybe({
    env: 'QUEUE_MODE',
    doc: 'How jobs run: redis (BullMQ, a `hoplink worker` runs them), memory (inside the web process), eager (inline, tests).',
    parse: oneOf(['redis', 'memory', 'eager']),
    defaultDoc: {
      development:
        'derived: eager under NODE_ENV=test, redis when REDIS_URL is set, memory otherwise',
      production: 'redis',
    },
  }),
  queuePrefix: setting({
    env: 'QUEUE_PREFIX',
    doc: 'Prefix of the Redis keys of the job queues and the rate limit counters (to share one Redis between deployments).',
    parse: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -'),
    default: 'hoplink',
  }),
  emailUrl: maybe({
    env: 'EMAIL_URL',
    doc: 'SMTP server for outgoing mail: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465.',
    parse: serviceUrl(['smtp:', 'smtps:'], 'smtp://user:password@mail.example.com:587'),
    secret: true,
    requiredInProduction: true,
    defaultDoc: {
      development: 'unset: emails are written to the log (an in-memory outbox under NODE_ENV=test)',
      production: 'required',
    },
  }),
  defaultFromEmail: setting({
    env: 'DEFAULT_FROM_EMAIL',
    doc: 'Sender of the emails Hoplink sends.',
    parse: text(),
    default: 'Hoplink <noreply@localhost>',
  }),
  emailSubjectPrefix: setting({
    env: 'EMAIL_SUBJECT_PREFIX',
    doc: 'Put before every email subject.',
    parse: z.string(),
    default: '[Hoplink] ',
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    doc: 'Least severe log level written.',
    parse: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    default: byProfile('debug', 'info', 'warn'),
  }),
  logFormat: setting({
    env: 'LOG_FORMAT',
    doc: 'json (one object per line on stdout) or pretty (for people).',
    parse: oneOf(['json', 'pretty']),
    default: byProfile('pretty', 'json', 'json'),
  }),
  // Error tracking (decision 0023): nothing is loaded or sent unless SENTRY_DSN is set.
  sentryDsn: maybe({
    env: 'SENTRY_DSN',
    doc: 'Sentry DSN (https://<public key>@<host>/<project id>): unexpected errors of web processes and workers are reported there, scrubbed as the logs are. Unset, the SDK is not even loaded.',
    parse: z.string().transform((raw, ctx) => {
      const value = raw.trim();
      if (value === '') return undefined;
      if (parseSentryDsn(value) === null) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must be a Sentry DSN such as https://<public key>@o1.ingest.sentry.io/<project id>',
        });
        return z.NEVER;
      }
      return new Secret(value);
    }),
    secret: true,
  }),
  sentryEnvironment: maybe({
    env: 'SENTRY_ENVIRONMENT',
    doc: 'Environment name on reported errors (staging, eu-prod…).',
    parse: z
      .string()
      .trim()
      .regex(/^[^\s/]{1,64}$/, 'must be 1 to 64 characters without spaces or slashes'),
    defaultDoc: { development: 'the profile (NODE_ENV)', production: 'production' },
  }),
  sentryRelease: maybe({
    env: 'SENTRY_RELEASE',
    doc: 'Release on reported errors, e.g. a commit SHA the image was built from.',
    parse: z
      .string()
      .trim()
      .regex(
        /^(?!\.{1,2}$)[^\s/\\]{1,200}$/,
        'must be 1 to 200 characters without spaces or slashes',
      ),
    defaultDoc: {
      development: 'hoplink@<package version>',
      production: 'hoplink@<package version>',
    },
  }),
  sentryTracesSampleRate: setting({
    env: 'SENTRY_TRACES_SAMPLE_RATE',
    doc: 'Share of requests traced for Sentry performance monitoring, from 0 to 1; 0 traces none.',
    parse: fraction(),
    default: '0',
  }),
  redirectLogSampleRate: setting({
    env: 'REDIRECT_LOG_SAMPLE_RATE',
    doc: 'Share of successful redirects (and their 404s) that get a request log line, from 0 to 1; errors and slow ones (over 1 s) always do. Each click is recorded in the database either way (decision 0014).',
    parse: fraction(),
    default: byProfile('1', '0.01', '1'),
  }),
  // Metrics (decision 0022): nothing is exposed unless one of these is set.
  metricsToken: maybe({
    env: 'METRICS_TOKEN',
    doc: 'Bearer token Prometheus sends for /metrics, at least 32 characters (`openssl rand -hex 32`); required on every metrics endpoint once set. Alone, it serves /metrics on the public port; unset with METRICS_LISTEN unset too, there is no /metrics at all.',
    parse: z.string().transform((raw, ctx) => {
      const value = raw.trim();
      if (value === '') return undefined;
      if (value.length < 32) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be at least 32 characters, e.g. the output of `openssl rand -hex 32`',
        });
        return z.NEVER;
      }
      return new Secret(value);
    }),
    secret: true,
  }),
  metricsListen: maybe({
    env: 'METRICS_LISTEN',
    doc: 'host:port of a separate listener (e.g. 127.0.0.1:9464) where `serve` answers /metrics for all its web workers together; when set, the public port has no /metrics. Read at start only: a reload (SIGHUP) keeps it.',
    parse: listenAddress(),
  }),
  workerMetricsListen: maybe({
    env: 'WORKER_METRICS_LISTEN',
    doc: 'host:port where `hoplink worker` answers /metrics (e.g. 127.0.0.1:9465); unset, the worker exposes none. A setting of its own, since web and worker may share a host.',
    parse: listenAddress(),
  }),
} satisfies Record<string, SettingDefinition<unknown>>;

export type Definitions = typeof definitions;
export type SettingKey = keyof Definitions;
type ValueOf<D> = D extends SettingDefinition<infer T> ? T : never;

/** The values as parsed from the environment and defaults, before derivation. */
export type ParsedValues = { readonly [K in SettingKey]: ValueOf<Definitions[K]> };

export const definitionList: readonly (SettingDefinition<unknown> & { key: SettingKey })[] = (
  Object.entries(definitions) as [SettingKey, SettingDefinition<unknown>][]
).map(([key, definition]) => ({ ...definition, key }));

export const KNOWN_VARIABLES: ReadonlySet<string> = new Set(
  definitionList.flatMap((definition) =>
    definition.secret ? [definition.env, `${definition.env}_FILE`] : [definition.env],
  ),
);
