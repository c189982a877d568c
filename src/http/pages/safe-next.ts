import { z } from 'zod';

// A fixed origin to resolve against: only what stays on it is a path of this site.
const BASE = new URL('http://hoplink.invalid/');

/** C0 controls and DEL: browsers drop TAB, LF and CR from URLs, turning `/\t/x` into `//x`. */
function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** The path of `candidate` resolved on BASE, or null when it leaves this site or is ambiguous. */
function resolvedPath(candidate: string): URL | null {
  // `//host` and `/\host` are network paths to a browser; a backslash is a slash in http URLs.
  if (!candidate.startsWith('/') || candidate.startsWith('//') || candidate.includes('\\')) {
    return null;
  }
  if (hasControlCharacter(candidate)) return null;
  let url: URL;
  try {
    url = new URL(candidate, BASE);
  } catch {
    return null;
  }
  // Dot segments resolve first: `/a/..//evil.example` and `/%2e//evil.example` become `//…`.
  if (url.origin !== BASE.origin || url.pathname.startsWith('//')) return null;
  return url;
}

/**
 * Where to send the browser back to after a form (`next=` on login and sign-up): a path of this
 * site, or `fallback`. Every redirect target that comes from input goes through here.
 *
 * The value is normalised before it is judged: its path is checked as sent and once
 * percent-decoded (a proxy or the browser may decode `%2F`, `%5C`, `%2e` once), dot segments are
 * resolved by the WHATWG URL parser against a fixed origin, and anything with a backslash, a
 * control character or a path starting `//` is refused. What comes back is the parsed URL's
 * path and query, never the raw input (so `/a/b/../c` comes back as `/a/c`, and no fragment).
 */
export function safeNextPath(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length > 2048 || hasControlCharacter(next)) return fallback;
  const end = next.search(/[?#]/);
  const path = end === -1 ? next : next.slice(0, end);
  let decodedPath: string;
  try {
    decodedPath = decodeURIComponent(path);
  } catch {
    return fallback;
  }
  const resolved = resolvedPath(path);
  if (resolved === null || resolvedPath(decodedPath) === null) return fallback;
  // The query is the parser's too (re-encoded where needed); it cannot move the origin.
  const search = end === -1 ? '' : new URL(next.slice(end), resolved).search;
  return `${resolved.pathname}${search}`;
}

/** `next` as a query or form field: always a path of this site, `/` when it was not one. */
export const nextPath = z
  .unknown()
  .optional()
  .transform((value) => safeNextPath(value));

/** The query of the pages that pass `next` on (login and sign-up). */
export const NextQuery = z.object({ next: nextPath });
