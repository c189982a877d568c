import type { Logger } from '#src/lib/logger.ts';
import { envelope, type EmailSender, type EnvelopeSettings } from './email-sender.ts';

/**
 * Development transport: writes each email to the log (info) instead of sending it, so a
 * developer can follow a reset link without an SMTP server. The text part is enough to read.
 */
export function createConsoleSender(logger: Logger, settings: EnvelopeSettings): EmailSender {
  return {
    send(message) {
      const email = envelope(message, settings);
      logger.info(
        { email: { from: email.from, to: email.to, subject: email.subject, text: email.text } },
        `email to ${email.to}: ${email.subject}`,
      );
      return Promise.resolve();
    },
  };
}
