import nodemailer from 'nodemailer';
import { envelope, type EmailSender, type EnvelopeSettings } from './email-sender.ts';

/**
 * Production transport: nodemailer from EMAIL_URL. smtp:// upgrades with STARTTLS (required when
 * the server offers it), smtps:// is TLS from the first byte. A failure rejects, so the job
 * retries it; nodemailer's errors name the server's reply, never the URL's credentials.
 */
export function createSmtpSender(
  emailUrl: string,
  settings: EnvelopeSettings,
): EmailSender & { close(): void } {
  const transport = nodemailer.createTransport(emailUrl);
  return {
    async send(message) {
      const email = envelope(message, settings);
      await transport.sendMail({
        from: email.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
      });
    },
    close() {
      transport.close();
    },
  };
}
