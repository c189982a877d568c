/** An email as the application composes it; the sender adds From and the subject prefix. */
export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  /** The plain-text part; every email has one. */
  readonly text: string;
  /** The HTML part, built with the escaping `html` template. */
  readonly html: string;
}

/** The port modules send mail through; the container picks the adapter (console, SMTP, outbox). */
export interface EmailSender {
  send(message: EmailMessage): Promise<void>;
}

/** What every transport sends: the message with DEFAULT_FROM_EMAIL and EMAIL_SUBJECT_PREFIX. */
export interface OutgoingEmail extends EmailMessage {
  readonly from: string;
}

export interface EnvelopeSettings {
  /** DEFAULT_FROM_EMAIL. */
  readonly from: string;
  /** EMAIL_SUBJECT_PREFIX. */
  readonly subjectPrefix: string;
}

/** Applies the sender address and subject prefix, in one place for every transport. */
export function envelope(message: EmailMessage, settings: EnvelopeSettings): OutgoingEmail {
  return {
    ...message,
    from: settings.from,
    subject: `${settings.subjectPrefix}${message.subject}`,
  };
}
