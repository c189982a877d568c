import { html, type SafeHtml } from '#src/lib/html.ts';
import {
  button,
  errorSummary,
  linkButton,
  pageHeader,
  postForm,
  type FieldError,
} from './components.ts';

/**
 * /accounts/register while REGISTRATION_MODE is invite or closed and the visitor has no
 * invitation: what they can do instead.
 */
export function signUpClosedPage(mode: 'invite' | 'closed', message: string): SafeHtml {
  return html`${pageHeader({
    title: mode === 'invite' ? 'Sign-up is by invitation' : 'Sign-up is closed',
  })}
    <p>${message}</p>
    ${
      mode === 'invite'
        ? html`<p>An invitation arrives by email with a link; open that link to create your account.</p>`
        : ''
    }
    <p>Already have an account? ${linkButton({ href: '/accounts/login', label: 'Log in', variant: 'primary' })}</p>`;
}

/** An invitation link that is unknown, used, withdrawn or expired: one page for all of them. */
export function invalidInvitationPage(message: string): SafeHtml {
  return html`${pageHeader({ title: 'This invitation no longer works' })}
    <p>${message}</p>
    <p>Already have an account? <a href="/accounts/login">Log in</a>.</p>`;
}

/** The page a confirmation link opens: one button, so a mail scanner's visit confirms nothing. */
export function confirmEmailPage(options: {
  readonly csrfToken: string;
  readonly token: string;
  readonly email: string;
}): SafeHtml {
  return html`${pageHeader({ title: 'Confirm your email address' })}${postForm({
    action: '/accounts/verify-email',
    csrfToken: options.csrfToken,
    body: html`<input type="hidden" name="token" value="${options.token}" />
      <p>Confirm that <strong>${options.email}</strong> is your address.</p>
      ${button({ label: 'Confirm my address' })}`,
  })}`;
}

/**
 * A confirmation link that no longer works, or a refused confirmation. A signed-in visitor gets
 * the button for a new link; anyone else is asked to log in first (the link goes to the
 * account's address, which only its owner may ask for).
 */
export function invalidConfirmationPage(options: {
  readonly message: string;
  readonly csrfToken: string;
  readonly signedIn: boolean;
}): SafeHtml {
  return html`${pageHeader({ title: 'This link no longer works' })}
    <p>${options.message}</p>
    ${
      options.signedIn
        ? postForm({
            action: '/accounts/verify-email/resend',
            csrfToken: options.csrfToken,
            body: button({ label: 'Send a new link' }),
          })
        : html`<p>
            <a href="/accounts/login?next=%2Faccounts%2Fverify-email%2Fresend">Log in</a> to ask
            for a new link.
          </p>`
    }`;
}

/** /accounts/verify-email/resend: where the account stands, and the button for a new link. */
export function resendConfirmationPage(options: {
  readonly csrfToken: string;
  readonly email: string;
  readonly verified: boolean;
  readonly errors?: readonly FieldError[];
}): SafeHtml {
  if (options.verified) {
    return html`${pageHeader({ title: 'Nothing to confirm' })}
      <p>Your address, <strong>${options.email}</strong>, needs no confirmation: you can create links.</p>`;
  }
  return html`${pageHeader({ title: 'Confirm your email address' })}${errorSummary(options.errors)}
    <p>
      We sent a link to <strong>${options.email}</strong>. Follow it to confirm the address; until
      then you cannot create links. Nothing arrived? Check your spam folder, or ask for a new link
      (a few an hour).
    </p>
    ${postForm({
      action: '/accounts/verify-email/resend',
      csrfToken: options.csrfToken,
      body: html`<input type="hidden" name="next" value="/accounts/verify-email/resend" />${button({ label: 'Send a new link' })}`,
    })}
    <p>Wrong address? Change it on <a href="/accounts/profile">your profile</a>.</p>`;
}
