import type { AssetUrl } from '#src/http/assets/asset-manifest.ts';
import type { CurrentUser } from '#src/http/request-context.ts';
import { html } from '#src/lib/html.ts';
import { layout } from './layout.ts';

const PAGES: Record<number, { title: string; text: string }> = {
  400: { title: 'Bad request', text: 'We could not make sense of that request.' },
  403: { title: 'Forbidden', text: 'You are not allowed to see this page.' },
  404: {
    title: 'Not found',
    text: 'There is nothing at this address. The link may be mistyped, disabled or expired.',
  },
  413: {
    title: 'Too much to send',
    text: 'What you sent is too large for us to accept. Shorten it and try again.',
  },
  429: {
    title: 'Slow down',
    text: 'Too many requests came from you in a short time. Try again in a minute.',
  },
  500: {
    title: 'Something went wrong',
    text: 'An error on our side stopped this page. It has been logged; please try again.',
  },
  503: {
    title: 'Temporarily unavailable',
    text: 'This cannot be done right now: a service it needs is out of reach. Nothing was changed; please try again in a few minutes.',
  },
};

export interface ErrorPageOptions {
  readonly statusCode: number;
  readonly requestId: string;
  /** Shown only when DEBUG is on: the error's message and stack. */
  readonly debugDetail?: string;
  /** The app's asset URLs (hashed in production); unhashed when absent. */
  readonly assetUrl?: AssetUrl;
  /** A refusal's details; its `{ field, message }` items are listed, so a 400 names the field. */
  readonly details?: unknown;
  /** The signed-in user, when the error happened where the session is known. */
  readonly user?: CurrentUser | null;
  /** For the navigation's log-out form, with `user`. */
  readonly csrfToken?: string;
  /** Whether the header offers "Sign up" (REGISTRATION_MODE is open). */
  readonly signUpOpen?: boolean;
}

function fieldProblems(details: unknown): { field: string; message: string }[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((item: unknown) => {
    const { field, message } = (item ?? {}) as { field?: unknown; message?: unknown };
    if (typeof message !== 'string') return [];
    const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
    return [{ field: typeof field === 'string' ? field : '', message: sentence }];
  });
}

/**
 * A friendly page for each error class; anything unlisted reads like its nearest family. It shows
 * the signed-in user only when given one: an error page must not depend on the session working.
 */
export function errorPage({
  statusCode,
  requestId,
  debugDetail,
  assetUrl,
  details,
  user = null,
  csrfToken = '',
  signUpOpen = true,
}: ErrorPageOptions): string {
  const page = PAGES[statusCode] ??
    PAGES[statusCode >= 500 ? 500 : 400] ?? { title: 'Error', text: '' };
  const problems = statusCode < 500 ? fieldProblems(details) : [];
  return layout({
    title: page.title,
    user,
    csrfToken,
    signUpOpen,
    ...(assetUrl ? { assetUrl } : {}),
    body: html`<div class="error-page">
<p class="status">Error ${statusCode}</p>
<h1>${page.title}</h1>
<p class="lead">${page.text}</p>
${problems.length > 0 ? html`<ul class="field-problems">${problems.map(({ field, message }) => html`<li data-field="${field}">${field === '' ? '' : html`<code>${field}</code> `}${message}</li>`)}</ul>` : ''}
<p><a class="button button-primary" href="/">Go to the home page</a></p>
<p class="request-id">Reference: <code>${requestId}</code></p>
${debugDetail ? html`<pre>${debugDetail}</pre>` : ''}
</div>`,
  });
}
