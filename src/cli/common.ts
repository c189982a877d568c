import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  formatFindings,
  hasErrors,
  loadSettings,
  type LoadedSettings,
  type LoadSettingsOptions,
} from '#src/settings/index.ts';

/** Thrown for a malformed command line; main turns it into exit code 2. */
export class UsageError extends Error {}

/**
 * `--dotenv PATH` reads another dotenv file instead of ./.env. (Not `--env-file`: Node 20 takes
 * that flag for itself even after the script name.)
 */
export const DOTENV_OPTION = { dotenv: { type: 'string' } } as const;

/** The loader option for `--dotenv`; a file named explicitly must exist. */
export function dotenvOption(path: string | undefined): { envFile?: string } {
  if (path === undefined) return {};
  if (!existsSync(path)) throw new UsageError(`--dotenv: no such file: ${path}`);
  return { envFile: path };
}

/** parseArgs with our usage errors: unknown flags and stray arguments are mistakes, not ignored. */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ options: T; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Loads settings for a command that runs Hoplink (serve, worker…): prints every finding to
 * stderr and returns null when any is an error, so the command can exit 1 without starting.
 */
export function loadSettingsOrReport(options: LoadSettingsOptions): LoadedSettings | null {
  const loaded = loadSettings(options);
  if (loaded.findings.length > 0) process.stderr.write(`${formatFindings(loaded.findings)}\n`);
  if (hasErrors(loaded.findings)) {
    const count = loaded.findings.filter((finding) => finding.level === 'error').length;
    process.stderr.write(
      `\nHoplink cannot start: ${count} configuration error${count === 1 ? '' : 's'} (profile ${loaded.settings.profile}). Fix them and start again; \`hoplink check --deploy\` audits the rest.\n`,
    );
    return null;
  }
  return loaded;
}

/** Runs a command body, mapping usage errors to exit code 2. */
export async function withUsage(body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`hoplink: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
