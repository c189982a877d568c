import { html, type SafeHtml } from '#src/lib/html.ts';
import {
  button,
  card,
  errorSummary,
  formField,
  pageHeader,
  postForm,
  type FieldError,
} from './components.ts';

/** Every message for one field, joined: a password can break several rules at once. */
function messagesFor(errors: readonly FieldError[], field: string): string | undefined {
  const messages = errors.filter((error) => error.field === field).map((error) => error.message);
  return messages.length > 0 ? messages.join(' ') : undefined;
}

/** The server decides validity (novalidate), so every browser shows the same messages. */
function form(action: string, csrfToken: string, body: SafeHtml): SafeHtml {
  return postForm({ action, csrfToken, noValidate: true, body });
}

function nextField(next: string | undefined): SafeHtml | string {
  return next && next !== '/' ? html`<input type="hidden" name="next" value="${next}" />` : '';
}

function withNext(path: string, next: string | undefined): string {
  return next && next !== '/' ? `${path}?next=${encodeURIComponent(next)}` : path;
}

function newPasswordField(options: {
  name: string;
  label: string;
  errors: readonly FieldError[];
  minLength: number;
}): SafeHtml {
  return formField({
    label: options.label,
    name: options.name,
    type: 'password',
    autocomplete: 'new-password',
    hint: `At least ${options.minLength} characters. Not a common password, not only digits, and not like your email address or username.`,
    error: messagesFor(options.errors, options.name),
    required: true,
  });
}

export interface RegisterPageOptions {
  readonly csrfToken: string;
  readonly values?: { readonly email?: string; readonly username?: string };
  readonly errors?: readonly FieldError[];
  readonly next?: string;
  readonly passwordMinLength: number;
  /** Signing up through an invitation: its token travels with the form, its address is fixed. */
  readonly invitation?: { readonly token: string; readonly email: string };
}

export function registerPage(options: RegisterPageOptions): SafeHtml {
  const errors = options.errors ?? [];
  const values = options.values ?? {};
  const { invitation } = options;
  return html`${pageHeader({
    title: 'Create your account',
    ...(invitation ? { lead: 'You were invited: choose a username and a password.' } : {}),
  })}${errorSummary(errors)}${form(
    '/accounts/register',
    options.csrfToken,
    html`${nextField(options.next)}${
      invitation ? html`<input type="hidden" name="invitation" value="${invitation.token}" />` : ''
    }${formField({
      label: 'Email address',
      name: 'email',
      type: 'email',
      value: invitation ? invitation.email : values.email,
      autocomplete: 'email',
      spellcheck: false,
      hint: invitation
        ? 'The address the invitation was sent to; you can change it on your profile later.'
        : 'Used to reset your password; never shown to anyone.',
      error: messagesFor(errors, 'email'),
      required: true,
      readonly: invitation !== undefined,
    })}${formField({
      label: 'Username',
      name: 'username',
      value: values.username,
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: false,
      hint: '3 to 30 lowercase letters, digits, - or _. It appears in your personal links: /username/slug.',
      error: messagesFor(errors, 'username'),
      required: true,
    })}${newPasswordField({ name: 'password', label: 'Password', errors, minLength: options.passwordMinLength })}${button({ label: 'Create account' })}`,
  )}
    <p>
      Already have an account? <a href="${withNext('/accounts/login', options.next)}">Log in</a>.
    </p>`;
}

/**
 * After a sign-up, whatever happened: a new account and its welcome email, or an email to the
 * owner of an address that already had one. The page must read true in both cases.
 */
export function registerDonePage(options: { readonly next?: string }): SafeHtml {
  return html`${pageHeader({ title: 'Check your email' })}
    <p>
      We sent a message to the address you gave. It tells you how to log in: if the address is new
      here, your account is ready; if it already had an account, the message says which.
    </p>
    <p>
      Nothing arrived after a few minutes? Check your spam folder, or make sure you typed your
      address correctly.
    </p>
    <p>
      <a class="button button-primary" href="${withNext('/accounts/login', options.next)}">Log in</a>
    </p>`;
}

export interface LoginPageOptions {
  readonly csrfToken: string;
  readonly login?: string;
  readonly errors?: readonly FieldError[];
  readonly next?: string;
  /** REGISTRATION_MODE is open: the page points newcomers to the sign-up form. */
  readonly signUpOpen?: boolean;
}

export function loginPage(options: LoginPageOptions): SafeHtml {
  const errors = options.errors ?? [];
  return html`${pageHeader({ title: 'Log in' })}${errorSummary(errors)}${form(
    '/accounts/login',
    options.csrfToken,
    html`${nextField(options.next)}${formField({
      label: 'Email address or username',
      name: 'login',
      value: options.login,
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: false,
      error: messagesFor(errors, 'login'),
      required: true,
    })}${formField({
      label: 'Password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      error: messagesFor(errors, 'password'),
      required: true,
    })}${button({ label: 'Log in' })}`,
  )}
    <p><a href="/accounts/password-reset">Forgot your password?</a></p>
    ${
      options.signUpOpen === false
        ? ''
        : html`<p>
            New here?
            <a href="${withNext('/accounts/register', options.next)}">Create an account</a>.
          </p>`
    }`;
}

export interface ProfilePageOptions {
  readonly csrfToken: string;
  readonly values: { readonly email: string; readonly username: string };
  readonly profileErrors?: readonly FieldError[];
  readonly passwordErrors?: readonly FieldError[];
  readonly passwordMinLength: number;
}

export function profilePage(options: ProfilePageOptions): SafeHtml {
  const profileErrors = options.profileErrors ?? [];
  const passwordErrors = options.passwordErrors ?? [];
  return html`${pageHeader({ title: 'Your profile' })}${card({
    title: 'Email and username',
    body: html`${errorSummary(profileErrors)}${form(
      '/accounts/profile',
      options.csrfToken,
      html`${formField({
        label: 'Email address',
        name: 'email',
        type: 'email',
        value: options.values.email,
        autocomplete: 'email',
        spellcheck: false,
        error: messagesFor(profileErrors, 'email'),
        required: true,
      })}${formField({
        label: 'Username',
        name: 'username',
        value: options.values.username,
        autocomplete: 'username',
        autocapitalize: 'none',
        spellcheck: false,
        hint: 'Changing it changes the address of your personal links (/username/slug).',
        error: messagesFor(profileErrors, 'username'),
        required: true,
      })}${button({ label: 'Save profile' })}`,
    )}`,
  })}${card({
    title: 'Password',
    body: html`<p>Changing your password logs you out everywhere else.</p>
      ${errorSummary(passwordErrors)}${form(
        '/accounts/profile/password',
        options.csrfToken,
        html`${formField({
          label: 'Current password',
          name: 'currentPassword',
          type: 'password',
          autocomplete: 'current-password',
          error: messagesFor(passwordErrors, 'currentPassword'),
          required: true,
        })}${newPasswordField({
          name: 'newPassword',
          label: 'New password',
          errors: passwordErrors,
          minLength: options.passwordMinLength,
        })}${button({ label: 'Change password' })}`,
      )}`,
  })}`;
}

export function passwordResetRequestPage(options: {
  readonly csrfToken: string;
  readonly email?: string;
  readonly errors?: readonly FieldError[];
}): SafeHtml {
  const errors = options.errors ?? [];
  return html`${pageHeader({
    title: 'Reset your password',
    lead: 'Enter the email address of your account; we will send you a link to choose a new password.',
  })}${errorSummary(errors)}${form(
    '/accounts/password-reset',
    options.csrfToken,
    html`${formField({
      label: 'Email address',
      name: 'email',
      type: 'email',
      value: options.email,
      autocomplete: 'email',
      spellcheck: false,
      error: messagesFor(errors, 'email'),
      required: true,
    })}${button({ label: 'Send the link' })}`,
  )}`;
}

export function passwordResetDonePage(): SafeHtml {
  return html`${pageHeader({ title: 'Check your email' })}
    <p>
      If an account uses that address, an email with a link to reset its password is on its way. The
      link works once, within one hour.
    </p>
    <p>
      Nothing arrived after a few minutes? Check your spam folder, or make sure you typed the
      address of your account, then <a href="/accounts/password-reset">ask again</a>.
    </p>`;
}

export function resetPasswordPage(options: {
  readonly csrfToken: string;
  readonly token: string;
  readonly errors?: readonly FieldError[];
  readonly passwordMinLength: number;
}): SafeHtml {
  const errors = options.errors ?? [];
  return html`${pageHeader({ title: 'Choose a new password' })}${errorSummary(errors)}${form(
    `/accounts/reset/${encodeURIComponent(options.token)}`,
    options.csrfToken,
    html`${newPasswordField({
      name: 'newPassword',
      label: 'New password',
      errors,
      minLength: options.passwordMinLength,
    })}${button({ label: 'Set the password' })}`,
  )}`;
}

export function invalidResetLinkPage(message: string): SafeHtml {
  return html`${pageHeader({ title: 'This link no longer works' })}
    <p>${message}</p>
    <p><a href="/accounts/password-reset">Ask for a new link</a>.</p>`;
}

export function resetCompletePage(): SafeHtml {
  return html`${pageHeader({ title: 'Your password is set' })}
    <p>You were logged out everywhere. Log in with your new password.</p>
    <p><a class="button button-primary" href="/accounts/login">Log in</a></p>`;
}
