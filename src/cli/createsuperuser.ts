import type { Container } from '#src/container.ts';
import { createContainer } from '#src/container.ts';
import { CREATESUPERUSER } from './commands.ts';
import { cleanText, loadSettingsOrReport, parseCommand, UsageError, withUsage } from './common.ts';
import { reaching } from './dependency-failure.ts';
import type { Invocation } from './invocation.ts';
import {
  ask,
  askHidden,
  readFirstLine,
  reportRefusal,
  terminalOf,
  type Terminal,
} from './terminal.ts';

interface Answers {
  readonly email: string;
  readonly username: string;
  readonly password: string;
}

/** From a terminal: prompts for what the flags did not give, the password twice and hidden. */
async function askInteractively(
  terminal: Terminal,
  given: { email?: string; username?: string },
): Promise<Answers> {
  const email =
    given.email ?? cleanText(await ask(terminal, 'Email address: '), 'the email address');
  const username = given.username ?? cleanText(await ask(terminal, 'Username: '), 'the username');
  const password = cleanText(await askHidden(terminal, 'Password: '), 'the password');
  if ((await askHidden(terminal, 'Password (again): ')) !== password) {
    throw new UsageError('the two passwords differ; nothing was created');
  }
  return { email, username, password };
}

/** From automation: both flags, and the password as the first line of stdin. */
async function readPiped(
  stdin: NodeJS.ReadableStream,
  given: { email?: string; username?: string },
): Promise<Answers> {
  if (given.email === undefined || given.username === undefined) {
    throw new UsageError(
      '--email and --username are required when stdin is not a terminal (the password is read from stdin)',
    );
  }
  const password = await readFirstLine(stdin);
  if (password === null || password === '') {
    throw new UsageError('no password on stdin: pipe it as one line');
  }
  cleanText(password, 'the password on stdin');
  return { email: given.email, username: given.username, password };
}

/**
 * `hoplink createsuperuser [--email E --username U]`: creates a staff account. Interactive on
 * a terminal; otherwise the password is the first line of stdin (`printf '%s\n' "$PW" | …`),
 * never a flag (flags show in `ps` and shell history). The sign-up rules apply. With the
 * embedded database, stop `serve` first: PGlite allows one process at a time.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  return withUsage(invocation.stderr, async () => {
    const { values } = parseCommand(CREATESUPERUSER, argv);
    const given = {
      ...(values.email === undefined ? {} : { email: values.email }),
      ...(values.username === undefined ? {} : { username: values.username }),
    };
    const terminal = terminalOf(invocation);
    const answers = terminal
      ? await askInteractively(terminal, given)
      : await readPiped(invocation.stdin, given);
    const loaded = loadSettingsOrReport(invocation, values.dotenv);
    if (!loaded) return 1;
    const container: Container = await reaching('database', loaded.settings, () =>
      createContainer(loaded.settings, { logDestination: invocation.stderr }),
    );
    try {
      const user = await container.users.createSuperuser(answers);
      invocation.stdout.write(`Created staff account ${user.username} <${user.email}>.\n`);
      return 0;
    } catch (error) {
      return reportRefusal(error, invocation.stderr);
    } finally {
      await container.close();
    }
  });
}
