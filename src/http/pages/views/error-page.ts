import type { AssetUrl } from '#src/http/assets/asset-manifest.ts';
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
};

export interface ErrorPageOptions {
  readonly statusCode: number;
  readonly requestId: string;
  /** Shown only when DEBUG is on: the error's message and stack. */
  readonly debugDetail?: string;
  /** The app's asset URLs (hashed in production); unhashed when absent. */
  readonly assetUrl?: AssetUrl;
}

/**
 * A friendly page for each error class; anything unlisted reads like its nearest family. It uses
 * the site's layout without a user: an error page must not depend on the session working.
 */
export function errorPage({
  statusCode,
  requestId,
  debugDetail,
  assetUrl,
}: ErrorPageOptions): string {
  const page = PAGES[statusCode] ??
    PAGES[statusCode >= 500 ? 500 : 400] ?? { title: 'Error', text: '' };
  return layout({
    title: page.title,
    ...(assetUrl ? { assetUrl } : {}),
    body: html`<div class="error-page">
<p class="status">Error ${statusCode}</p>
<h1>${page.title}</h1>
<p class="lead">${page.text}</p>
<p><a class="button button-primary" href="/">Go to the home page</a></p>
<p class="request-id">Reference: <code>${requestId}</code></p>
${debugDetail ? html`<pre>${debugDetail}</pre>` : ''}
</div>`,
  });
}
