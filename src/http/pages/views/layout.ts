import { liveAssetUrl, type AssetUrl } from '#src/http/assets/asset-manifest.ts';
import type { CurrentUser, Flash } from '#src/http/request-context.ts';
import { html, raw, type SafeHtml } from '#src/lib/html.ts';
import { csrfField } from './components.ts';

export interface LayoutOptions {
  readonly title: string;
  readonly body: SafeHtml;
  readonly user?: CurrentUser | null;
  readonly flashes?: readonly Flash[];
  /** For the logout form in the header. */
  readonly csrfToken?: string;
  /** Resolves asset names to (hashed) URLs; sendPage passes the app's. Unhashed when absent. */
  readonly assetUrl?: AssetUrl;
  /** The request's path, to mark the current navigation item (`aria-current="page"`). */
  readonly currentPath?: string;
  /** REGISTRATION_MODE is open: the header offers "Sign up" (true unless told otherwise). */
  readonly signUpOpen?: boolean;
}

// Icons are our own markup; `aria-hidden` because every one sits beside a text label.
const LOGO = raw(
  '<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect class="logo-bg" width="32" height="32" rx="8"/><path class="logo-fg" d="M7 22.5c2.2-9.5 15.8-9.5 18 0M20.5 21.2 25 22.5l1.6-4.4" fill="none" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/><circle class="logo-dot" cx="7" cy="22.5" r="2.2"/></svg>',
);
const THEME_ICONS = raw(
  '<svg class="icon-auto" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2"/><path d="M12 3a9 9 0 0 1 0 18z" fill="currentColor"/></svg>' +
    '<svg class="icon-light" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="4.5" fill="currentColor"/><path d="M12 2v2.5M12 19.5V22M4.2 4.2l1.8 1.8M18 18l1.8 1.8M2 12h2.5M19.5 12H22M4.2 19.8 6 18M18 6l1.8-1.8" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>' +
    '<svg class="icon-dark" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M20.5 14.2A8.5 8.5 0 0 1 9.8 3.5a8.5 8.5 0 1 0 10.7 10.7z" fill="currentColor"/></svg>',
);

interface NavItem {
  readonly href: string;
  readonly label: string;
  readonly className?: string;
}

/** The item whose href is the longest path prefix of the current path is the current page. */
function currentHref(items: readonly NavItem[], path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  return items
    .map((item) => item.href)
    .filter((href) => path === href || path.startsWith(`${href}/`))
    .sort((a, b) => b.length - a.length)[0];
}

function navigation(
  user: CurrentUser | null,
  csrfToken: string,
  path: string | undefined,
  signUpOpen: boolean,
): SafeHtml {
  const items: NavItem[] = user
    ? [
        { href: '/links', label: 'Links' },
        { href: '/links/new', label: 'New link' },
        { href: '/settings/tokens', label: 'API tokens' },
        { href: '/accounts/profile', label: user.username, className: 'nav-user' },
      ]
    : [
        { href: '/accounts/login', label: 'Log in' },
        ...(signUpOpen ? [{ href: '/accounts/register', label: 'Sign up' }] : []),
      ];
  const current = currentHref(items, path);
  const links = items.map(
    (item) =>
      html`<li><a href="${item.href}"${item.className ? html` class="${item.className}"` : ''}${item.href === current ? raw(' aria-current="page"') : ''}>${item.label}</a></li>`,
  );
  const logout = user
    ? html`<li><form method="post" action="/accounts/logout">${csrfField(csrfToken)}<button type="submit" class="nav-button">Log out</button></form></li>`
    : '';
  return html`<nav class="site-nav" aria-label="Main"><ul>${links}${logout}</ul></nav>`;
}

/**
 * Shown on every page to a user whose address waits for confirmation (EMAIL_VERIFICATION): why
 * links cannot be created yet, and a button for a new link, which comes back to this page.
 */
function verifyEmailBanner(user: CurrentUser, csrfToken: string, path: string | undefined) {
  const next =
    path && path !== '/' ? html`<input type="hidden" name="next" value="${path}" />` : '';
  return html`<div class="container flashes"><section class="flash flash-info" aria-labelledby="verify-email-title">
<div><p><strong id="verify-email-title">Confirm your email address to create links.</strong> We sent a link to ${user.email}; until you follow it you can look around but not create links.</p>
<form method="post" action="/accounts/verify-email/resend">${csrfField(csrfToken)}${next}<button type="submit" class="button button-secondary button-small">Send a new link</button></form></div>
</section></div>`;
}

/** The theme switch: its icon and label follow <html data-theme> through CSS; app.js cycles it. */
const THEME_TOGGLE = html`<button type="button" class="theme-toggle needs-js" data-theme-toggle>${THEME_ICONS}<span class="visually-hidden">Colour theme: </span><span class="theme-label-auto">Auto</span><span class="theme-label-light">Light</span><span class="theme-label-dark">Dark</span></button>`;

/**
 * The page shell every server-rendered page shares. No inline script or style anywhere (the CSP
 * forbids them): theme.js runs in <head> so a saved theme applies before first paint, app.js is
 * deferred, and everything else is markup and the stylesheet.
 */
export function layout({
  title,
  body,
  user = null,
  flashes = [],
  csrfToken = '',
  assetUrl = liveAssetUrl,
  currentPath,
  signUpOpen = true,
}: LayoutOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · Hoplink</title>
<link rel="icon" href="${assetUrl('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetUrl('app.css')}">
<script src="${assetUrl('theme.js')}"></script>
<script src="${assetUrl('app.js')}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<div class="container">
<a class="brand" href="/">${LOGO}<span>Hoplink</span></a>
${navigation(user, csrfToken, currentPath, signUpOpen)}
${THEME_TOGGLE}
</div>
</header>
<div class="container flashes" role="status">${flashes.map(
    (flash) => html`<p class="flash flash-${flash.kind}">${flash.message}</p>`,
  )}</div>
${user?.mustVerifyEmail ? verifyEmailBanner(user, csrfToken, currentPath) : ''}
<main id="main" class="container" tabindex="-1">
${body}
</main>
<footer class="site-footer">
<div class="container">
<p>Hoplink · short links with click analytics, on your own server</p>
<p><a href="/api/v1/openapi.json">API reference</a></p>
</div>
</footer>
<div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
</body>
</html>
`.value;
}
