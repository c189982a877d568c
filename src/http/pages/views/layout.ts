import { html, type SafeHtml } from '#src/lib/html.ts';
import type { CurrentUser, Flash } from '#src/http/request-context.ts';

export interface LayoutOptions {
  readonly title: string;
  readonly body: SafeHtml;
  readonly user?: CurrentUser | null;
  readonly flashes?: readonly Flash[];
  /** For the logout form in the header. */
  readonly csrfToken?: string;
}

/** The page shell every server-rendered page shares. */
export function layout({ title, body, user = null, flashes = [], csrfToken = '' }: LayoutOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · Hoplink</title>
</head>
<body>
<header>
<a href="/">Hoplink</a>
<nav>
${
  user
    ? html`<a href="/links">Links</a> <a href="/settings/tokens">API tokens</a> <a href="/accounts/profile">${user.username}</a>
<form method="post" action="/accounts/logout"><input type="hidden" name="_csrf" value="${csrfToken}"><button type="submit">Log out</button></form>`
    : html`<a href="/accounts/login">Log in</a> <a href="/accounts/register">Sign up</a>`
}
</nav>
</header>
<main>
${flashes.map((flash) => html`<p class="flash flash-${flash.kind}" role="status">${flash.message}</p>`)}
${body}
</main>
</body>
</html>
`.value;
}
