import { createContainer } from '#src/container.ts';
import { DELETEUSER } from './commands.ts';
import { cleanText, loadSettingsOrReport, parseCommand, UsageError, withUsage } from './common.ts';
import { reaching } from './dependency-failure.ts';
import type { Invocation } from './invocation.ts';
import { ask, reportRefusal, terminalOf, type Terminal } from './terminal.ts';

/** Asks for the username typed back: a stray Enter or "y" deletes nothing. */
async function confirmed(
  terminal: Terminal,
  account: { email: string; username: string },
): Promise<boolean> {
  terminal.output.write(
    `This deletes the account ${account.username} <${account.email}> for good: its links stop redirecting, their clicks, its sessions and API tokens are erased.\n`,
  );
  const answer = cleanText(await ask(terminal, 'Type its username to confirm: '), 'the answer');
  return answer === account.username;
}

/**
 * `hoplink deleteuser --email E [--yes]`: staff delete an account the way its owner can from
 * the profile page (the same service function, decision 0026), without the password. On a
 * terminal it asks for the username; without one, --yes must say so up front.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  return withUsage(invocation.stderr, async () => {
    const { values } = parseCommand(DELETEUSER, argv);
    if (values.email === undefined) {
      throw new UsageError('deleteuser needs --email: usage: hoplink deleteuser --email E [--yes]');
    }
    const terminal = terminalOf(invocation);
    if (values.yes !== true && terminal === null) {
      throw new UsageError(
        'stdin is not a terminal, so nobody can be asked: pass --yes to delete without asking',
      );
    }
    const loaded = loadSettingsOrReport(invocation, values.dotenv);
    if (!loaded) return 1;
    const container = await reaching('database', loaded.settings, () =>
      createContainer(loaded.settings, { logDestination: invocation.stderr }),
    );
    try {
      const user = await container.users.findByEmail(values.email);
      if (!user) {
        invocation.stderr.write(`hoplink: no account has the email address ${values.email}\n`);
        return 1;
      }
      if (terminal !== null && values.yes !== true && !(await confirmed(terminal, user))) {
        invocation.stderr.write('hoplink: not confirmed; nothing was deleted\n');
        return 1;
      }
      const deleted = await container.accountDeletion.deleteAsStaff(user.id);
      invocation.stdout.write(
        `Deleted the account ${deleted.username} <${deleted.email}>: ${deleted.links} link${deleted.links === 1 ? '' : 's'} stopped redirecting.\n`,
      );
      return 0;
    } catch (error) {
      return reportRefusal(error, invocation.stderr);
    } finally {
      await container.close();
    }
  });
}
