import { accountDeletedEmail, type AccountDeletedEmailInput } from './account-deleted-email.ts';
import { accountExistsEmail, type AccountExistsEmailInput } from './account-exists-email.ts';
import type { EmailSender } from './email-sender.ts';
import {
  emailVerificationEmail,
  type EmailVerificationEmailInput,
} from './email-verification-email.ts';
import { invitationEmail, type InvitationEmailInput } from './invitation-email.ts';
import { passwordResetEmail, type PasswordResetEmailInput } from './password-reset-email.ts';
import { welcomeEmail, type WelcomeEmailInput } from './welcome-email.ts';

/**
 * The account emails, composed from their templates and sent through `sender`: the adapter the
 * container plugs into the accounts module's AccountMail port (decision 0019). It names no
 * module type; the container's wiring checks that the shapes agree.
 */
export function createAccountMail(sender: EmailSender) {
  return {
    passwordReset: (input: PasswordResetEmailInput) => sender.send(passwordResetEmail(input)),
    welcome: (input: WelcomeEmailInput) => sender.send(welcomeEmail(input)),
    accountExists: (input: AccountExistsEmailInput) => sender.send(accountExistsEmail(input)),
    accountDeleted: (input: AccountDeletedEmailInput) => sender.send(accountDeletedEmail(input)),
    invitation: (input: InvitationEmailInput) => sender.send(invitationEmail(input)),
    emailVerification: (input: EmailVerificationEmailInput) =>
      sender.send(emailVerificationEmail(input)),
  };
}
