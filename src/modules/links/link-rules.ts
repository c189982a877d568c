/**
 * The rules of SPEC §6 for what a link may hold, as pure functions: each returns the normalised
 * value or a message a person can act on. The service collects the messages per field.
 */

/** A problem with one input field, as ValidationError and LinkConflictError carry them. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const problem = <T>(message: string): Checked<T> => ({ ok: false, message });

/**
 * First path segments that short codes and usernames may never take, compared
 * case-insensitively: the app's own paths, and names that would mislead (`admin`, `login`).
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'about',
  'accounts',
  'admin',
  'api',
  'app',
  'assets',
  'auth',
  'csp-report',
  'dashboard',
  'delete',
  'docs',
  'edit',
  'favicon.ico',
  'health',
  'healthz',
  'help',
  'hoplink',
  'links',
  'login',
  'logout',
  'me',
  'metrics',
  'new',
  'null',
  'privacy',
  'profile',
  'readyz',
  'register',
  'robots.txt',
  'root',
  'security',
  'settings',
  'signin',
  'signup',
  'sitemap.xml',
  'static',
  'stats',
  'status',
  'support',
  'terms',
  'tokens',
  'undefined',
  'user',
  'users',
  'www',
  '.well-known',
]);

const NONE: ReadonlySet<string> = new Set();

/** `extra`: lowercase segments the configuration takes as well (ADMIN_PATH's). */
export function isReservedWord(word: string, extra: ReadonlySet<string> = NONE): boolean {
  const lower = word.toLowerCase();
  return RESERVED_WORDS.has(lower) || extra.has(lower);
}

export const TARGET_URL_MAX_LENGTH = 2048;

/**
 * The host names that are this service: SITE_URL's host and the exact names of ALLOWED_HOSTS
 * (`.domain` patterns and CIDR blocks are left out: they may cover other sites).
 */
export function ownHostNames(
  siteUrl: string,
  allowedHosts: readonly string[],
): ReadonlySet<string> {
  const names = allowedHosts
    .map((host) => host.toLowerCase())
    .filter((host) => !host.startsWith('.') && !host.includes('/'));
  return new Set([new URL(siteUrl).hostname, ...names].map(bareHost));
}

function bareHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** Parses, checks and normalises (WHATWG URL serialisation) a link's target. */
export function checkTargetUrl(
  raw: string | null | undefined,
  ownHosts: ReadonlySet<string>,
): Checked<string> {
  const text = (raw ?? '').trim();
  if (text === '') return problem('Enter the URL to shorten.');
  if (text.length > TARGET_URL_MAX_LENGTH) {
    return problem(`The URL must be at most ${TARGET_URL_MAX_LENGTH} characters.`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return problem(
      URL.canParse(`https://${text}`)
        ? 'Start the URL with http:// or https://.'
        : 'Enter a valid URL, such as https://example.com/page.',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return problem('Only http:// and https:// URLs can be shortened.');
  }
  if (url.username !== '' || url.password !== '') {
    return problem('The URL must not contain a user name or password.');
  }
  if (ownHosts.has(bareHost(url.hostname))) {
    return problem('Links to this site itself are not allowed: they would loop.');
  }
  // Normalising can grow the text (percent-encoding, punycode), so check the length again.
  if (url.href.length > TARGET_URL_MAX_LENGTH) {
    return problem(`The URL must be at most ${TARGET_URL_MAX_LENGTH} characters.`);
  }
  return ok(url.href);
}

export const ALIAS_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;

/** A custom code chosen by the owner, case-sensitive like generated codes. */
export function checkAlias(
  raw: string,
  extraReserved: ReadonlySet<string> = NONE,
): Checked<string> {
  const alias = raw.trim();
  if (!ALIAS_PATTERN.test(alias)) {
    return problem('The alias must be 3 to 64 characters: letters, digits, - and _.');
  }
  if (isReservedWord(alias, extraReserved))
    return problem(`“${alias}” is reserved; choose another alias.`);
  return ok(alias);
}

export const SLUG_PATTERN = /^[a-z0-9_-]{1,64}$/;

/** A personal slug, reachable at /<username>/<slug>; lowercase so it reads the same spoken. */
export function checkSlug(raw: string): Checked<string> {
  const slug = raw.trim();
  if (!SLUG_PATTERN.test(slug)) {
    return problem('The slug must be 1 to 64 characters: lowercase letters, digits, - and _.');
  }
  return ok(slug);
}

export const TITLE_MAX_LENGTH = 200;

/** An optional label; blank means none. */
export function checkTitle(raw: string): Checked<string | null> {
  const title = raw.trim();
  if (title.length > TITLE_MAX_LENGTH) {
    return problem(`The title must be at most ${TITLE_MAX_LENGTH} characters.`);
  }
  return ok(title === '' ? null : title);
}

export const REDIRECT_STATUSES = [301, 302, 307, 308] as const;
export type RedirectStatus = (typeof REDIRECT_STATUSES)[number];

/** Accepts the number or its text (HTML forms send text). */
export function checkRedirectStatus(raw: number | string): Checked<RedirectStatus> {
  const status = REDIRECT_STATUSES.find((candidate) => String(candidate) === String(raw).trim());
  return status === undefined
    ? problem('The redirect status must be 301, 302, 307 or 308.')
    : ok(status);
}

/** Accepts a Date or ISO 8601 text; the expiry must lie in the future. */
export function checkExpiresAt(raw: Date | string, now: Date): Checked<Date> {
  const date = typeof raw === 'string' ? new Date(raw.trim()) : raw;
  if (Number.isNaN(date.getTime()) || (typeof raw === 'string' && raw.trim() === '')) {
    return problem('Enter a valid date and time, such as 2030-01-31T12:00:00Z.');
  }
  if (date.getTime() <= now.getTime()) return problem('The expiry must be in the future.');
  return ok(date);
}

const PATH_PART = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `code` could name a link at all; anything else is a 404 without a lookup. */
export function isCodeShape(code: string): boolean {
  return ALIAS_PATTERN.test(code);
}

/** The same for /<username>/<slug>, whose parts match case-insensitively. */
export function isSlugPathShape(username: string, slug: string): boolean {
  return PATH_PART.test(username) && PATH_PART.test(slug);
}
