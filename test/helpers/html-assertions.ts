import assert from 'node:assert/strict';

/** Every start tag in a page, with quoted attribute values emptied (so text in them cannot match). */
function startTags(page: string): string[] {
  return [...page.matchAll(/<[a-zA-Z][^>]*>/g)].map((match) =>
    match[0].replace(/"[^"]*"|'[^']*'/g, '""'),
  );
}

/**
 * Asserts that a page needs nothing the CSP (script-src 'self'; style-src 'self') would block:
 * every <script> is an empty element with a src, and there is no <style> element, no style
 * attribute, no inline event handler and no javascript: URL.
 */
export function assertCspSafe(page: string, what = 'page'): void {
  const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.equal(
    scripts.length,
    (page.match(/<script\b/gi) ?? []).length,
    `${what}: every <script> is closed`,
  );
  for (const [tag, attributes = '', body = ''] of scripts) {
    assert.match(attributes, /\ssrc="\/static\/[^"]+"/, `${what}: ${tag} loads a file`);
    assert.equal(body.trim(), '', `${what}: ${tag} has no inline code`);
  }
  assert.doesNotMatch(page, /<style\b/i, `${what}: no <style> element`);
  for (const tag of startTags(page)) {
    assert.doesNotMatch(tag, /\sstyle\s*=/i, `${what}: no style attribute in ${tag}`);
    assert.doesNotMatch(tag, /\son[a-z]+\s*=/i, `${what}: no event handler attribute in ${tag}`);
  }
  assert.doesNotMatch(
    page,
    /(href|src|action)\s*=\s*"\s*javascript:/i,
    `${what}: no javascript: URL`,
  );
}
