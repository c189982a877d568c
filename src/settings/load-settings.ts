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
import { finding, levelIn } from './finding-registry.ts';
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

const SPECIFIC_PARSE_IDS: Partial<Record<SettingKey, 'E010' | 'E013' | 'E018'>> = {
  csrfTrustedOrigins: 'E013',
  sentryDsn: 'E018',
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
  // Development and tests are forgiving: the registry says which errors only warn there.
  const report = (raised: Finding) => {
    findings.push({ ...raised, level: levelIn(raised, profile) });
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
  const context: DefaultContext = {
    profile,
    hasTls: tlsResult.tls !== null,
    serverPort: raw('SERVER_PORT')?.value,
  };

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
    report(
      finding(SPECIFIC_PARSE_IDS[definition.key] ?? 'E010', {
        setting: definition.env,
        problem: `${parsed.error.issues.map((issue) => issue.message).join('; ')}${shown}`,
        doc: definition.doc,
      }),
    );
    values[definition.key] =
      fallback === undefined ? standIn(definition) : definition.parse.safeParse(fallback).data;
  }
  const parsed = values as { -readonly [K in keyof ParsedValues]: ParsedValues[K] };
  // An unknown NODE_ENV was reported by the loop above; it is judged (and named) as production.
  parsed.nodeEnv = profile;

  let secretKey = parsed.secretKey;
  if (secretKey) {
    const weakness = secretKeyWeakness(secretKey.reveal());
    if (weakness) report(finding('E002', { weakness }));
  } else if (profile !== 'production') {
    secretKey = developmentSecret(
      resolve(options.cwd ?? process.cwd(), parsed.dataDir),
      profile === 'development' && (options.persistDevSecret ?? true),
      report,
    );
    sources.set('secretKey', profile === 'test' ? 'generated (test)' : 'generated (development)');
  }

  if (parsed.allowedHosts.includes('*')) report(finding('E004'));
  if (parsed.debug && profile === 'production') report(finding('E005'));
  if (parsed.corsAllowedOrigins.includes('*')) report(finding('E009'));
  if (parsed.trustProxyHeaders && parsed.trustedProxies.length === 0) report(finding('E014'));

  if (parsed.databaseUrl === undefined && parsed.webConcurrency > 1 && profile !== 'production')
    report(finding('E015', { workers: parsed.webConcurrency }));
  const queueMode: QueueMode =
    parsed.queueMode ??
    (profile === 'production' || parsed.redisUrl !== undefined
      ? 'redis'
      : profile === 'test'
        ? 'eager'
        : 'memory');
  if (queueMode === 'redis' && parsed.redisUrl === undefined && profile !== 'production')
    report(finding('E016', { reason: 'no REDIS_URL' }));
  if (queueMode !== 'redis' && profile === 'production')
    report(finding('E016', { reason: 'lost on restart', mode: queueMode }));
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

function missingFinding(env: string): Finding {
  if (env === 'SECRET_KEY') return finding('E001');
  if (env === 'ALLOWED_HOSTS') return finding('E003');
  const definition = definitionList.find((item) => item.env === env);
  return finding('E011', { setting: env, doc: definition?.doc ?? '' });
}

/** The development secret: created once in DATA_DIR/.dev-secret (0600) so sessions survive restarts. */
function developmentSecret(
  dataDir: string,
  persist: boolean,
  report: (raised: Finding) => void,
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
    report(finding('W017', { path }));
    return new Secret(value);
  } catch (error) {
    const unwritable = (error as NodeJS.ErrnoException).code ?? 'error';
    report(finding('W017', { path, unwritable }));
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
