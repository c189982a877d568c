import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { forbiddenCharacterProblem } from '#src/lib/control-characters.ts';
import {
  formatFindings,
  hasErrors,
  loadSettings,
  type LoadedSettings,
  type LoadSettingsOptions,
} from '#src/settings/index.ts';
import { formatError } from '#src/lib/log-safety.ts';
import { closestMatch } from '#src/lib/suggest.ts';
import { EXIT_USAGE, type CommandSpec, type Flags } from './commands.ts';
import { DependencyUnavailableError } from './dependency-failure.ts';
import type { Invocation, OutputStream } from './invocation.ts';

/** Thrown for a malformed command line; main turns it into exit code 2. */
export class UsageError extends Error {}

/**
 * Where a command's settings come from: the invocation's environment and working directory, and
 * `--dotenv FILE` instead of `./.env` (a file named explicitly must exist).
 */
export function settingsSource(
  invocation: Invocation,
  dotenv: string | undefined,
): LoadSettingsOptions {
  const source = { env: invocation.env, cwd: invocation.cwd };
  if (dotenv === undefined) return source;
  const envFile = resolve(invocation.cwd, dotenv);
  if (!existsSync(envFile)) throw new UsageError(`--dotenv: no such file: ${dotenv}`);
  return { ...source, envFile };
}

/**
 * Refuses text from the command line, stdin or a prompt that holds a character no input may
 * carry (NUL, other control characters but TAB/LF/CR, unpaired surrogates: see
 * lib/control-characters.ts, the rule the web forms and the API apply too). `source` names it
 * in the usage error (`--email`, `the password on stdin`); the command exits 2.
 */
export function cleanText(value: string, source: string): string {
  const problem = forbiddenCharacterProblem(value);
  if (problem !== null) throw new UsageError(`${source} ${problem}`);
  return value;
}

type ParsedCommandLine<T extends NonNullable<ParseArgsConfig['options']>> = ReturnType<
  typeof parseArgs<{ options: T; allowPositionals: boolean; strict: true }>
>;

/**
 * parseArgs with our usage errors: unknown flags and stray arguments are mistakes, not ignored,
 * and so is a value with a control character in it (every flag and argument, via cleanText).
 * Given the command's name, the error names the command and points to its help.
 */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
  command?: string,
): ParsedCommandLine<T> {
  let parsed: ParsedCommandLine<T>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(error as Error, argv, options, command));
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof item === 'string') cleanText(item, `--${name}`);
    }
  }
  parsed.positionals.forEach((item, index) => cleanText(item, `argument ${index + 1}`));
  return parsed;
}

/** Parses a command's argv with the flags its spec declares (the ones its help lists). */
export function parseCommand<T extends Flags>(
  spec: CommandSpec<T>,
  argv: string[],
): ParsedCommandLine<T> {
  return parseCommandLine(argv, spec.options, spec.positionals ?? false, spec.name);
}

/**
 * One line: an unknown flag is named, with the closest known one (`--prot`: did you mean
 * `--port`?); any other parse error keeps Node's words. Both point to the command's help.
 */
function describeParseError(
  error: Error,
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  command: string | undefined,
): string {
  const help = command === undefined ? '"hoplink <command> --help"' : `"hoplink ${command} --help"`;
  if ((error as { code?: unknown }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return `${error.message.replace(/\.$/, '')}. See ${help}.`;
  }
  const { tokens } = parseArgs({ args: argv, options, strict: false, tokens: true });
  const unknown = tokens.find(
    (token) => token.kind === 'option' && !Object.hasOwn(options, token.name),
  );
  const flag = unknown?.kind === 'option' ? unknown.rawName : '?';
  const near = flag.startsWith('--') ? closestMatch(flag.slice(2), Object.keys(options)) : null;
  const guess = near === null ? '' : ` Did you mean "--${near}"?`;
  return `unknown flag "${flag}"${command === undefined ? '' : ` for ${command}`}.${guess} See ${help}.`;
}

/**
 * Loads settings for a command that runs Hoplink (serve, worker…): prints every finding to
 * stderr and returns null when any is an error, so the command can exit 1 without starting.
 */
export function loadSettingsOrReport(
  invocation: Invocation,
  dotenv: string | undefined,
): LoadedSettings | null {
  const loaded = loadSettings(settingsSource(invocation, dotenv));
  const { stderr } = invocation;
  if (loaded.findings.length > 0) stderr.write(`${formatFindings(loaded.findings)}\n`);
  if (hasErrors(loaded.findings)) {
    const count = loaded.findings.filter((finding) => finding.level === 'error').length;
    stderr.write(
      `\nHoplink cannot start: ${count} configuration error${count === 1 ? '' : 's'} (profile ${loaded.settings.profile}). Fix them and start again; \`hoplink check --deploy\` audits the rest.\n`,
    );
    return null;
  }
  return loaded;
}

/**
 * Runs a command body, mapping usage errors to exit code 2 and an unreachable dependency to its
 * message and exit code `failed` (1 unless the command says otherwise): expected failures, told
 * on `stderr` in a line or two rather than a stack trace. Anything else exits `failed` too, with
 * a stack trace that went through the log serializer.
 */
export async function withUsage(
  stderr: OutputStream,
  body: () => Promise<number> | number,
  failed = 1,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      stderr.write(`hoplink: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof DependencyUnavailableError) {
      stderr.write(`hoplink: ${error.message}\n`);
      return failed;
    }
    // A bug: its stack is wanted, but not what Node would print with it (every property of the
    // error, such as a failed query's parameters).
    stderr.write(`hoplink: ${formatError(error)}\n`);
    return failed;
  }
}
