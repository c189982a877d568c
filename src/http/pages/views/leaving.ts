import { html, type SafeHtml } from '#src/lib/html.ts';
import {
  button,
  card,
  errorSummary,
  errorsByField,
  formField,
  linkButton,
  pageHeader,
  postForm,
  type FieldError,
} from './components.ts';

/** The profile page's last section: the downloads, and the way out. */
export function yourDataCard(): SafeHtml {
  const download = (path: string, label: string) =>
    html`<li><a href="${path}" download>${label}</a></li>`;
  return html`${card({
    title: 'Your data',
    body: html`<p>
        Download what you have here, to keep or to take elsewhere. Clicks are listed without the
        visitors’ addresses.
      </p>
      <ul>
        ${download('/accounts/export/links.csv', 'Your links (CSV)')}
        ${download('/accounts/export/links.json', 'Your links (JSON)')}
        ${download('/accounts/export/clicks.csv', 'Their clicks (CSV)')}
        ${download('/accounts/export/clicks.json', 'Their clicks (JSON)')}
      </ul>`,
  })}${card({
    title: 'Delete your account',
    body: html`<p>Your links stop working and everything you have here is erased.</p>
      ${linkButton({ href: '/accounts/delete', label: 'Delete your account…', variant: 'danger' })}`,
  })}`;
}

export interface DeleteAccountPageOptions {
  readonly csrfToken: string;
  readonly username: string;
  readonly errors?: readonly FieldError[];
}

/** What goes, and the password that confirms it. */
export function deleteAccountPage(options: DeleteAccountPageOptions): SafeHtml {
  const errors = options.errors ?? [];
  return html`${pageHeader({
    title: 'Delete your account',
    lead: html`This deletes the account <strong>${options.username}</strong> for good. It cannot be undone.`,
  })}${card({
    title: 'What goes',
    body: html`<ul>
        <li>Your links: they stop redirecting at once, everywhere.</li>
        <li>Their clicks and statistics.</li>
        <li>Your API tokens, and every session you have open (on any device).</li>
        <li>Your account itself: its email address, username and password.</li>
      </ul>
      <p>
        Want to keep a copy? <a href="/accounts/profile">Download your data</a> first. An email to
        your address confirms the deletion.
      </p>`,
  })}${errorSummary(errors)}${postForm({
    action: '/accounts/delete',
    csrfToken: options.csrfToken,
    noValidate: true,
    body: html`${formField({
      label: 'Your password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      error: errorsByField(errors).password,
      required: true,
    })}<div class="cluster">${button({ label: 'Delete my account', variant: 'danger' })}${linkButton(
      { href: '/accounts/profile', label: 'Keep it' },
    )}</div>`,
  })}`;
}

export function accountDeletedPage(): SafeHtml {
  return html`${pageHeader({ title: 'Your account is deleted' })}
    <p>
      Your links no longer redirect, and your clicks, tokens and sessions are gone. An email to
      your address confirms it.
    </p>
    <p>Thank you for using Hoplink. <a href="/">Back to the home page</a>.</p>`;
}
