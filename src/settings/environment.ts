import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { editDistance } from '#src/lib/suggest.ts';
import { definitionList, KNOWN_VARIABLES } from './definitions.ts';
import { finding } from './finding-registry.ts';
import type { Finding } from './findings.ts';

export interface RawValue {
  readonly value: string;
  /** Where it came from: `environment`, `.env`, or the path of a `NAME_FILE` file. */
  readonly source: string;
}

/** Everything the loader needs from the outside world, read once. */
export interface EnvironmentSnapshot {
  readonly values: ReadonlyMap<string, RawValue>;
  /** Files that held settings, for the world-readable audit. */
  readonly files: readonly { path: string; holdsSecrets: boolean }[];
  readonly findings: readonly Finding[];
}

export interface ReadEnvironmentOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The dotenv file; relative paths resolve from `cwd`. Missing is fine. */
  readonly envFile?: string;
  readonly cwd?: string;
}

/**
 * Merges `.env` with the real environment (which wins) and resolves `NAME_FILE` for secrets.
 * Never throws: every problem becomes a finding so all of them can be reported at once.
 */
export function readEnvironment(options: ReadEnvironmentOptions = {}): EnvironmentSnapshot {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const envFilePath = resolve(cwd, options.envFile ?? '.env');
  const findings: Finding[] = [];
  const files: { path: string; holdsSecrets: boolean }[] = [];
  const values = new Map<string, RawValue>();

  const dotenv = readDotenv(envFilePath, findings);
  for (const [name, value] of Object.entries(dotenv)) values.set(name, { value, source: '.env' });
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) values.set(name, { value, source: 'environment' });
  }
  if (Object.keys(dotenv).length > 0) {
    const holdsSecrets = definitionList.some(
      (definition) => definition.secret && dotenv[definition.env] !== undefined,
    );
    files.push({ path: envFilePath, holdsSecrets });
  }

  for (const definition of definitionList) {
    if (!definition.secret) continue;
    const fileVariable = `${definition.env}_FILE`;
    const pointer = values.get(fileVariable);
    if (!pointer || pointer.value.trim() === '') continue;
    if (values.has(definition.env)) {
      findings.push(finding('E012', { reason: 'both set', env: definition.env }));
      continue;
    }
    const path = resolve(cwd, pointer.value.trim());
    try {
      const content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      values.set(definition.env, { value: content, source: path });
      files.push({ path, holdsSecrets: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      findings.push(finding('E012', { reason: 'unreadable', env: definition.env, path, code }));
    }
  }

  for (const name of values.keys()) {
    const likely = likelyTypoOf(name);
    if (likely) findings.push(finding('W016', { name, likely }));
  }
  return { values, files, findings };
}

function readDotenv(path: string, findings: Finding[]): Record<string, string> {
  let content: string;
  try {
    if (!statSync(path).isFile()) return {};
    content = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  try {
    return parseEnv(content) as Record<string, string>;
  } catch {
    findings.push(finding('E010', { dotenv: path }));
    return {};
  }
}

/** The known setting a variable most likely misspells, or null (edit distance ≤ 2, not itself known). */
export function likelyTypoOf(name: string): string | null {
  if (KNOWN_VARIABLES.has(name) || name.length < 5 || !/^[A-Z0-9_]+$/.test(name)) return null;
  let best: string | null = null;
  let bestDistance = 3;
  for (const known of KNOWN_VARIABLES) {
    // Every process start checks each variable of its environment against every setting: skip
    // the pairs whose lengths alone rule a near match out (the distance is at least their gap).
    if (Math.abs(name.length - known.length) >= bestDistance) continue;
    const distance = editDistance(name, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}
