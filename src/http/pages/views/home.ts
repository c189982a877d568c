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

/** What the visitor typed, shown again beside the errors when a submission is refused. */
export interface ShortenFormValues {
  readonly url?: string;
  readonly code?: string;
}

export interface ShortenFormOptions {
  readonly csrfToken: string;
  readonly values?: ShortenFormValues;
  readonly errors?: readonly FieldError[];
}

/**
 * The "shorten a link" form (POST /links: `url`, optional `code`). Exported so the links pages
 * can show it again with the visitor's values and errors. The server validates (novalidate), so
 * every browser shows the same messages in the same place.
 */
export function shortenForm({ csrfToken, values = {}, errors = [] }: ShortenFormOptions): SafeHtml {
  const fieldErrors = errorsByField(errors);
  return html`${errorSummary(errors)}${postForm({
    action: '/links',
    csrfToken,
    noValidate: true,
    body: html`${formField({
      label: 'Long URL',
      name: 'url',
      type: 'url',
      value: values.url,
      error: fieldErrors.url,
      hint: 'The address the short link leads to, starting with https:// or http://.',
      placeholder: 'https://example.com/a/long/address',
      inputmode: 'url',
      autocomplete: 'off',
      spellcheck: false,
      maxlength: 2048,
      required: true,
    })}${formField({
      label: 'Custom code',
      name: 'code',
      value: values.code,
      error: fieldErrors.code,
      hint: '3 to 64 letters, digits, - or _. Leave it empty for a random 7-character code.',
      optional: true,
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: false,
      maxlength: 64,
    })}
      <div class="form-actions">
        ${button({ label: 'Shorten' })}<a href="/links/new">More options</a>
      </div>`,
  })}`;
}

/** The signed-in home page: the shorten form first, a way to the list after. */
export function shortenPage(options: ShortenFormOptions): SafeHtml {
  return html`<div class="shorten">
    ${pageHeader({
      title: 'Shorten a link',
      lead: 'Paste a long address; share the short one and see who clicks it.',
      actions: linkButton({ href: '/links', label: 'Your links' }),
    })}${card({ body: shortenForm(options) })}
  </div>`;
}

const FEATURES = [
  {
    title: 'Short, or yours',
    text: 'Random 7-character codes, or your own alias. Personal slugs live under your name: /you/launch.',
  },
  {
    title: 'Clicks you can trust',
    text: 'Clicks, unique visitors, referrers, browsers and devices per day. Bots are counted apart and IP addresses anonymised.',
  },
  {
    title: 'On your own server',
    text: 'One command to run, PostgreSQL to keep it, and a JSON API with tokens for your scripts.',
  },
] as const;

/**
 * The signed-out landing page: what Hoplink is, and the way in (sign-up only while
 * REGISTRATION_MODE is open).
 */
export function landingPage({
  signUpOpen = true,
}: { readonly signUpOpen?: boolean } = {}): SafeHtml {
  return html`<section class="hero">
      <h1>Short links that tell you who clicked</h1>
      <p class="lead">
        Hoplink turns long addresses into short ones you can share anywhere, and counts every visit
        on a server you run yourself.
      </p>
      <div class="cluster">
        ${signUpOpen ? linkButton({ href: '/accounts/register', label: 'Sign up', variant: 'primary' }) : ''}${linkButton({ href: '/accounts/login', label: 'Log in', variant: signUpOpen ? 'secondary' : 'primary' })}
      </div>
    </section>
    <div class="grid features">
      ${FEATURES.map((feature) => card({ title: feature.title, body: html`<p>${feature.text}</p>` }))}
    </div>`;
}
