// SITE_URL is stored without a trailing slash and may carry a path prefix, so join as text.

/** The public short URL of a code, always on SITE_URL (never the request's Host). */
export function shortUrl(siteUrl: string, code: string): string {
  return `${siteUrl}/${encodeURIComponent(code)}`;
}

/** The personal URL /<username>/<slug>. */
export function slugUrl(siteUrl: string, username: string, slug: string): string {
  return `${siteUrl}/${encodeURIComponent(username)}/${encodeURIComponent(slug)}`;
}
