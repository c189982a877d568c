import { createEmailSender } from '#src/container.ts';
import { scrubText } from '#src/lib/log-safety.ts';
import { createLogger } from '#src/lib/logger.ts';
import { SEND_TEST_EMAIL } from './commands.ts';
import { loadSettingsOrReport, parseCommand, UsageError, withUsage } from './common.ts';
import { describeDependencyFailure } from './dependency-failure.ts';
import type { Invocation } from './invocation.ts';

/**
 * `hoplink send-test-email <to> [--dotenv F]`: sends one email right away (not through the
 * queue) with the configured transport and says whether the server took it.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  return withUsage(invocation.stderr, async () => {
    const { values, positionals } = parseCommand(SEND_TEST_EMAIL, argv);
    const [to, ...extra] = positionals;
    if (!to || extra.length > 0 || !/^[^\s@]+@[^\s@]+$/.test(to)) {
      throw new UsageError('send-test-email: expected one email address, e.g. you@example.com');
    }
    const loaded = loadSettingsOrReport(invocation, values.dotenv);
    if (!loaded) return 1;
    const { settings } = loaded;
    const logger = createLogger({
      level: settings.logLevel,
      format: settings.logFormat,
      destination: invocation.stdout,
    });
    const email = createEmailSender(settings, logger);
    try {
      await email.sender.send({
        to,
        subject: 'Test email',
        text: `This is a test email from Hoplink at ${settings.siteUrl}.\nIf you can read it, email works.\n`,
        html: '<!doctype html><p>This is a test email from Hoplink. If you can read it, email works.</p>',
      });
      invocation.stdout.write(`sent a test email to ${to} through ${email.description}\n`);
      return 0;
    } catch (error) {
      // The server's reply is worth reading (a rejected sender, a full mailbox), scrubbed all the same.
      const unreachable = describeDependencyFailure('smtp', settings, error);
      invocation.stderr.write(
        unreachable
          ? `could not send to ${to}: ${unreachable}\n`
          : `could not send to ${to} through ${email.description}: ${scrubText(error instanceof Error ? error.message : String(error))}\n`,
      );
      return 1;
    } finally {
      email.close();
    }
  });
}
