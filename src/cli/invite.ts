import { createContainer } from '#src/container.ts';
import { AppError } from '#src/lib/errors.ts';
import { INVITE } from './commands.ts';
import { loadSettingsOrReport, parseCommand, UsageError, withUsage } from './common.ts';
import { reaching } from './dependency-failure.ts';
import type { Invocation, OutputStream } from './invocation.ts';

/** A service's refusal on one line (`hoplink: refused: email: …`); anything else is rethrown. */
function refusedOnOneLine(error: unknown, stderr: OutputStream): number {
  if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
  const details = Array.isArray(error.details)
    ? (error.details as { field?: string; message: string }[])
    : [];
  const reasons =
    details.length > 0
      ? details.map((detail) => `${detail.field ?? 'error'}: ${detail.message}`)
      : [error.message];
  stderr.write(`hoplink: refused: ${reasons.join('; ')}\n`);
  return 1;
}

/**
 * `hoplink invite --email E`: an invitation like the staff page's (decision 0027), made by
 * nobody in particular. Prints one line: the address and until when its link works; the email
 * itself is sent by the job queue, as every email is.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  return withUsage(invocation.stderr, async () => {
    const { values } = parseCommand(INVITE, argv);
    if (values.email === undefined || values.email.trim() === '') {
      throw new UsageError('invite needs --email E');
    }
    const loaded = loadSettingsOrReport(invocation, values.dotenv);
    if (!loaded) return 1;
    const container = await reaching('database', loaded.settings, () =>
      createContainer(loaded.settings, { logDestination: invocation.stderr }),
    );
    try {
      const invitation = await container.invitations.create({
        email: values.email,
        invitedBy: null,
      });
      const until = `${invitation.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
      invocation.stdout.write(
        `Invited ${invitation.email}: the email is queued; its link works once, until ${until}.\n`,
      );
      return 0;
    } catch (error) {
      return refusedOnOneLine(error, invocation.stderr);
    } finally {
      await container.close();
    }
  });
}
