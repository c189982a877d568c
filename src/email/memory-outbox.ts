import {
  envelope,
  type EmailSender,
  type EnvelopeSettings,
  type OutgoingEmail,
} from './email-sender.ts';

/** Test transport: keeps what would have been sent, as the recipient would see it. */
export class MemoryOutbox implements EmailSender {
  readonly messages: OutgoingEmail[] = [];

  constructor(private readonly settings: EnvelopeSettings) {}

  send(message: Parameters<EmailSender['send']>[0]): Promise<void> {
    this.messages.push(envelope(message, this.settings));
    return Promise.resolve();
  }

  /** The messages sent to one address, oldest first. */
  to(address: string): OutgoingEmail[] {
    return this.messages.filter((message) => message.to === address);
  }
}
