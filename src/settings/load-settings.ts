import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Secret } from '#src/lib/secret.ts';
import {
  definitionList,
  type DefaultContext,
  type ParsedValues,
  type Profile,
  type SettingDefinition,
  type SettingKey,
} from './definitions.ts';
import {
  readEnvironment,
  type EnvironmentSnapshot,
  type ReadEnvironmentOptions,
} from './environment.ts';
import type { Finding, Level } from './findings.ts';
import { evaluateTls, type TlsMaterial } from './tls.ts';

/** How jobs run; see QUEUE_MODE. */
export type QueueMode = 'redis' | 'memory' | 'eager';

export interface Settings extends Omit<ParsedValues, 'secretKey' | 'queueMode'> {
  readonly secretKey: Secret;
  /** QUEUE_MODE, or derived: eager under test, redis with REDIS_URL, memory otherwise. */
  readonly queueMode: QueueMode;
  /** Same as nodeEnv; the name the rest of the code reads. */
  readonly profile: Profile;
  /** Present only when a readable, matching certificate and key were configured. */
  readonly tls: TlsMaterial | null;
}

export interface LoadedSettings {
  readonly settings: Settings;
  /** Everything wrong or worth knowing, errors first; fatal when any is an error. */
  readonly findings: readonly Finding[];
  /** For each setting, where its value came from (`environment`, `.env`, a file, `default`…). */
  readonly sources: ReadonlyMap<SettingKey, string>;
  readonly environment: EnvironmentSnapshot;
}

export interface LoadSettingsOptions extends ReadEnvironmentOptions {
  /** Write the generated development secret to DATA_DIR (serve) or keep it in memory (check). */
  readonly persistDevSecret?: boolean;
}

/** Findings that stop production but only warn in development and tests (SPEC: forgiving). */
const FORGIVEN_OUTSIDE_PRODUCTION = new Set([
  'hoplink.E001',
  'hoplink.E002',
  'hoplink.E003',
  'hoplink.E004',
  'hoplink.E006',
  'hoplink.E007',
  'hoplink.E008',
  'hoplink.E011',
  'hoplink.E014',
]);

const SPECIFIC_PARSE_IDS: Partial<Record<SettingKey, string>> = {
  csrfTrustedOrigins: 'hoplink.E013',
};

const INSECURE_PREFIXES = ['insecure', 'change-me', 'changeme', 'dev', 'django-insecure'];

/**
 * Reads, defaults, validates and freezes the settings. Never throws for a bad configuration:
 * every problem is a finding, so all of them can be shown together; callers decide what is fatal
 * with `hasErrors`.
 */
export function loadSettings(options: LoadSettingsOptions = {}): LoadedSettings {
  const environment = readEnvironment(options);
  const findings: Finding[] = [...environment.findings];
  const sources = new Map<SettingKey, string>();
  const raw = (name: string) => environment.values.get(name);

  const profileRaw = raw('NODE_ENV')?.value.trim() || 'development';
  const profile: Profile =
    profileRaw === 'development' || profileRaw === 'test' || profileRaw === 'production'
      ? profileRaw
      : 'production'; // an unknown profile is reported below; judge it by the strictest rules
  const report = (finding: Omit<Finding, 'level'> & { level?: Level }) => {
    const level =
      finding.level ??
      (profile !== 'production' && FORGIVEN_OUTSIDE_PRODUCTION.has(finding.id)
        ? 'warning'
        : 'error');
    findings.push({ ...finding, level });
  };

  const tlsResult = evaluateTls(
    raw('SERVER_TLS_CERT')?.value.trim() || undefined,
    raw('SERVER_TLS_KEY')?.value.trim() || undefined,
  );
  for (const problem of tlsResult.problems) {
    report({
      ...problem,
      hint:
        profile === 'production' ? problem.hint : `${problem.hint} Serving plain HTTP meanwhile.`,
    });
  }
  const context: DefaultContext = { profile, hasTls: tlsResult.tls !== null };

  // Keeps the object well-formed for the audit when a setting is missing or invalid (start refuses
  // anyway): an empty value, or the development default when empty is not a valid value.
  const standIn = (definition: SettingDefinition<unknown>): unknown => {
    if (definition.optional) return undefined;
    const empty = definition.parse.safeParse('');
    if (empty.success) return empty.data;
    return definition.parse.safeParse(
      definition.default({ ...context, profile: 'development' }) ?? '',
    ).data;
  };
  const values: Record<string, unknown> = {};
  for (const definition of definitionList) {
    const given = raw(definition.env);
    const fallback = definition.default(context);
    const rawValue = given?.value ?? fallback;
    sources.set(definition.key, given?.source ?? 'default');
    if (
      rawValue === undefined ||
      (given && rawValue.trim() === '' && definition.requiredInProduction)
    ) {
      if (definition.requiredInProduction && profile === 'production')
        report(missingFinding(definition.env));
      values[definition.key] = standIn(definition);
      continue;
    }
    const parsed = definition.parse.safeParse(rawValue);
    if (parsed.success) {
      values[definition.key] = parsed.data;
      // A required list of only blanks (ALLOWED_HOSTS=" , ") is as missing as an unset one.
      const empty = Array.isArray(parsed.data) && parsed.data.length === 0;
      if (empty && definition.requiredInProduction && profile === 'production')
        report(missingFinding(definition.env));
      continue;
    }
    const shown = definition.secret ? '' : ` (got "${rawValue}")`;
    report({
      id: SPECIFIC_PARSE_IDS[definition.key] ?? 'hoplink.E010',
      level: 'error',
      setting: definition.env,
      message: `${parsed.error.issues.map((issue) => issue.message).join('; ')}${shown}.`,
      hint: `Set ${definition.env} to a valid value: ${definition.doc}`,
    });
    values[definition.key] =
      fallback === undefined ? standIn(definition) : definition.parse.safeParse(fallback).data;
  }
  const parsed = values as { -readonly [K in keyof ParsedValues]: ParsedValues[K] };
  // An unknown NODE_ENV was reported by the loop above; it is judged (and named) as production.
  parsed.nodeEnv = profile;

  let secretKey = parsed.secretKey;
  if (secretKey) {
    const weakness = secretKeyWeakness(secretKey.reveal());
    if (weakness) {
      report({
        id: 'hoplink.E002',
        setting: 'SECRET_KEY',
        message: `is too weak: ${weakness}.`,
        hint: 'Use at least 50 random characters, e.g. the output of `openssl rand -base64 48`.',
      });
    }
  } else if (profile !== 'production') {
    secretKey = developmentSecret(
      resolve(options.cwd ?? process.cwd(), parsed.dataDir),
      profile === 'development' && (options.persistDevSecret ?? true),
      report,
    );
    sources.set('secretKey', profile === 'test' ? 'generated (test)' : 'generated (development)');
  }

  if (parsed.allowedHosts.includes('*')) {
    report({
      id: 'hoplink.E004',
      setting: 'ALLOWED_HOSTS',
      message:
        'contains "*", which accepts any Host header (cache poisoning, password-reset poisoning).',
      hint: 'List the real host names, e.g. hop.example.com or .example.com for every subdomain.',
    });
  }
  if (parsed.debug && profile === 'production') {
    report({
      id: 'hoplink.E005',
      level: 'error',
      setting: 'DEBUG',
      message: 'is on in production: error pages would show internals.',
      hint: 'Unset DEBUG (or set DEBUG=false) in production.',
    });
  }
  if (parsed.corsAllowedOrigins.includes('*')) {
    report({
      id: 'hoplink.E009',
      level: 'error',
      setting: 'CORS_ALLOWED_ORIGINS',
      message: 'contains "*": any web site could call the API from its visitors\' browsers.',
      hint: 'List each origin that needs the API, e.g. https://dashboard.example.com.',
    });
  }
  if (parsed.trustProxyHeaders && parsed.trustedProxies.length === 0) {
    report({
      id: 'hoplink.E014',
      setting: 'TRUSTED_PROXIES',
      message:
        'is empty while TRUST_PROXY_HEADERS is on: forwarded headers would never be believed.',
      hint: 'Set TRUSTED_PROXIES to the CIDR blocks of your proxies, or turn TRUST_PROXY_HEADERS off.',
    });
  }

  if (parsed.databaseUrl === undefined && parsed.webConcurrency > 1 && profile !== 'production') {
    report({
      id: 'hoplink.E015',
      level: 'error',
      setting: 'WEB_CONCURRENCY',
      message: `is ${parsed.webConcurrency}, but the embedded database (no DATABASE_URL) can only be opened by one process.`,
      hint: 'Set DATABASE_URL to a PostgreSQL server to run several workers, or WEB_CONCURRENCY=1.',
    });
  }
  const queueMode: QueueMode =
    parsed.queueMode ??
    (profile === 'production' || parsed.redisUrl !== undefined
      ? 'redis'
      : profile === 'test'
        ? 'eager'
        : 'memory');
  if (queueMode === 'redis' && parsed.redisUrl === undefined && profile !== 'production') {
    report({
      id: 'hoplink.E016',
      level: 'error',
      setting: 'QUEUE_MODE',
      message: 'is redis, but REDIS_URL is not set.',
      hint: 'Set REDIS_URL, or unset QUEUE_MODE to run jobs in this process.',
    });
  }
  if (queueMode !== 'redis' && profile === 'production') {
    report({
      id: 'hoplink.E016',
      level: 'error',
      setting: 'QUEUE_MODE',
      message: `is ${queueMode} in production: jobs would be lost on every restart.`,
      hint: 'Unset QUEUE_MODE (production uses redis) and set REDIS_URL.',
    });
  }
  const settings = deepFreeze({
    ...parsed,
    queueMode,
    secretKey: secretKey ?? new Secret(''),
    profile,
    tls: tlsResult.tls,
  }) as Settings;
  findings.sort((a, b) => rank(b.level) - rank(a.level) || a.id.localeCompare(b.id));
  return { settings, findings, sources, environment };
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.level === 'error');
}

/** Why a secret key is weak, or null. Mirrors Django's deployment check, with our own prefixes. */
export function secretKeyWeakness(key: string): string | null {
  if (key.length < 50) return `${key.length} characters, at least 50 are needed`;
  if (new Set(key).size < 5) return 'fewer than 5 distinct characters';
  const lower = key.toLowerCase();
  const prefix = INSECURE_PREFIXES.find((word) => lower.startsWith(word));
  if (prefix) return `it starts with "${prefix}", the mark of a placeholder`;
  return null;
}

function missingFinding(env: string): Omit<Finding, 'level'> {
  if (env === 'SECRET_KEY') {
    return {
      id: 'hoplink.E001',
      setting: 'SECRET_KEY',
      message: 'is required in production.',
      hint: 'Set SECRET_KEY (or SECRET_KEY_FILE) to 50+ random characters, e.g. `openssl rand -base64 48`.',
    };
  }
  if (env === 'ALLOWED_HOSTS') {
    return {
      id: 'hoplink.E003',
      setting: 'ALLOWED_HOSTS',
      message: 'is required in production.',
      hint: 'Set ALLOWED_HOSTS to the host names this site is served on, e.g. hop.example.com.',
    };
  }
  const definition = definitionList.find((item) => item.env === env);
  return {
    id: 'hoplink.E011',
    setting: env,
    message: 'is required in production.',
    hint: `Set ${env}: ${definition?.doc ?? ''}`,
  };
}

/** The development secret: created once in DATA_DIR/.dev-secret (0600) so sessions survive restarts. */
function developmentSecret(
  dataDir: string,
  persist: boolean,
  report: (finding: Omit<Finding, 'level'> & { level?: Level }) => void,
): Secret {
  if (!persist) return new Secret(randomBytes(48).toString('base64url'));
  const path = join(dataDir, '.dev-secret');
  try {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(path, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    chmodSync(path, 0o600);
    const value = readFileSync(path, 'utf8').trim();
    report({
      id: 'hoplink.W017',
      level: 'warning',
      setting: 'SECRET_KEY',
      message: `is not set; using the development secret in ${path}.`,
      hint: 'Fine for development. In production set SECRET_KEY or SECRET_KEY_FILE.',
    });
    return new Secret(value);
  } catch (error) {
    report({
      id: 'hoplink.W017',
      level: 'warning',
      setting: 'SECRET_KEY',
      message: `is not set and ${path} cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'}); using a secret that lasts until restart.`,
      hint: 'Make DATA_DIR writable, or set SECRET_KEY.',
    });
    return new Secret(randomBytes(48).toString('base64url'));
  }
}

function rank(level: Level): number {
  return level === 'error' ? 2 : level === 'warning' ? 1 : 0;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Secret) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
