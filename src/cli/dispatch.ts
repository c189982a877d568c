import { packageVersion } from '#src/lib/package-version.ts';
import { closestMatch } from '#src/lib/suggest.ts';
import {
  commandHelp,
  COMMANDS,
  EXIT_USAGE,
  overviewHelp,
  type CommandName,
  type CommandSpec,
} from './commands.ts';
import type { Invocation } from './invocation.ts';

type Run = (argv: string[], invocation: Invocation) => Promise<number>;

/** A command's code is loaded only to run it: help and suggestions need nothing but the specs. */
const LOADERS: Readonly<Record<CommandName, () => Promise<{ run: Run }>>> = {
  serve: () => import('./serve.ts'),
  check: () => import('./check.ts'),
  worker: () => import('./worker.ts'),
  'send-test-email': () => import('./send-test-email.ts'),
  migrate: () => import('./migrate.ts'),
  settings: () => import('./settings.ts'),
  build: () => import('./build.ts'),
  createsuperuser: () => import('./createsuperuser.ts'),
  healthcheck: () => import('./healthcheck.ts'),
  token: () => import('./token.ts'),
  invite: () => import('./invite.ts'),
  deleteuser: () => import('./deleteuser.ts'),
  retention: () => import('./retention.ts'),
};

const HELP_FLAGS = new Set(['--help', '-h']);

/** Where the dispatcher's own messages go: help, the version, an unknown command. */
type Output = Pick<Invocation, 'stdout' | 'stderr'>;

/**
 * `hoplink <args>`: help, the version, or the command's own `run` with `invocation` (main.ts
 * passes the process's; a test its own). Resolves with the exit code: 2 for an unknown command,
 * otherwise whatever the command returns.
 */
export async function runCli(args: readonly string[], invocation: Invocation): Promise<number> {
  const [name, ...argv] = args;
  if (name === undefined || HELP_FLAGS.has(name)) {
    invocation.stdout.write(overviewHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') return printVersion(invocation);
  if (name === 'help') return helpFor(argv[0], invocation);
  const spec = findCommand(name);
  if (spec === undefined) return unknownCommand(name, invocation);
  // Help before the command loads, so it reads no settings and opens nothing.
  const flags = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (flags.some((arg) => HELP_FLAGS.has(arg))) {
    invocation.stdout.write(commandHelp(spec));
    return 0;
  }
  const { run } = await LOADERS[spec.name]();
  return run(argv, invocation);
}

function findCommand(name: string): (typeof COMMANDS)[number] | undefined {
  return COMMANDS.find((spec) => spec.name === name);
}

/** `hoplink help [command]`. */
function helpFor(name: string | undefined, output: Output): number {
  if (name === undefined) {
    output.stdout.write(overviewHelp());
    return 0;
  }
  const spec: CommandSpec | undefined = findCommand(name);
  if (spec === undefined) return unknownCommand(name, output);
  output.stdout.write(commandHelp(spec));
  return 0;
}

function unknownCommand(name: string, output: Output): number {
  const near = closestMatch(
    name,
    COMMANDS.map((spec) => spec.name),
  );
  const problem = name.startsWith('-')
    ? `hoplink: "${name}" is not a command; the command comes first, its flags after it.`
    : `hoplink: unknown command "${name}".${near === null ? '' : ` Did you mean "${near}"?`}`;
  output.stderr.write(`${problem}\nRun "hoplink --help" to list the commands.\n`);
  return EXIT_USAGE;
}

function printVersion(output: Output): number {
  const version = packageVersion();
  if (version === null) {
    output.stderr.write(
      'hoplink: cannot tell the version: no hoplink package.json above this file\n',
    );
    return 1;
  }
  output.stdout.write(`${version}\n`);
  return 0;
}
