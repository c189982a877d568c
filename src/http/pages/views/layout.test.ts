import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { manifestAssetUrl } from '#src/http/assets/asset-manifest.ts';
import { html } from '#src/lib/html.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import { builtAssets } from '#test/helpers/static-assets.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { layout } from './layout.ts';

const built = builtAssets();
const hashed = (name: keyof typeof built.manifest) =>
  `/static/${built.manifest[name]}`.replaceAll('.', '\\.');

/** The head links the hashed stylesheet, icon and both scripts: theme.js blocking, app.js deferred. */
function assertLinksHashedAssets(page: string): void {
  assert.match(page, new RegExp(`<link rel="stylesheet" href="${hashed('app.css')}">`));
  assert.match(page, new RegExp(`<link rel="icon" href="${hashed('favicon.svg')}"`));
  assert.match(page, new RegExp(`<script src="${hashed('theme.js')}"></script>`));
  assert.match(page, new RegExp(`<script src="${hashed('app.js')}" defer></script>`));
  const head = page.slice(0, page.indexOf('</head>'));
  assert.match(head, /theme\.[0-9a-f]{10}\.js/, 'theme.js runs in <head>, before first paint');
}

describe('layout', () => {
  const user = { id: 'u1', email: 'ada@example.com', username: 'ada<script>', isStaff: false };
  const page = layout({
    title: 'Links & more',
    body: html`<h1>Hello</h1>`,
    user,
    flashes: [{ kind: 'success', message: 'Saved "<b>it</b>"' }],
    csrfToken: 'token-"1"',
    assetUrl: manifestAssetUrl(built.manifest),
    currentPath: '/links/abc123',
  });

  test('links the hashed assets and needs no inline code', () => {
    assertLinksHashedAssets(page);
    assertCspSafe(page, 'signed-in layout');
  });

  test('signed in: the navigation, and log out as a POST form with the CSRF field', () => {
    for (const href of ['/links', '/links/new', '/settings/tokens', '/accounts/profile']) {
      assert.match(page, new RegExp(`<a href="${href}"`), href);
    }
    assert.match(
      page,
      /<form method="post" action="\/accounts\/logout"><input type="hidden" name="_csrf" value="token-&quot;1&quot;"><button type="submit"[^>]*>Log out<\/button><\/form>/,
    );
    assert.doesNotMatch(page, /href="\/accounts\/login"/);
    assert.match(page, /<a href="\/links" aria-current="page">Links<\/a>/, 'the current section');
    assert.doesNotMatch(page, /href="\/links\/new" aria-current/);
  });

  test('escapes what it is given', () => {
    assert.match(page, /<title>Links &amp; more · Hoplink<\/title>/);
    assert.match(page, />ada&lt;script&gt;<\/a>/);
    assert.match(
      page,
      /<p class="flash flash-success">Saved &quot;&lt;b&gt;it&lt;\/b&gt;&quot;<\/p>/,
    );
    assert.doesNotMatch(page, /<b>it<\/b>|ada<script>/);
  });

  test('flashes sit in a status region; the theme toggle and a live region are present', () => {
    assert.match(page, /<div class="container flashes" role="status"><p class="flash/);
    assert.match(page, /<button type="button" class="theme-toggle needs-js" data-theme-toggle>/);
    assert.match(page, /<div id="announcer" class="visually-hidden" aria-live="polite"/);
    assert.match(page, /<main id="main"/);
    assert.match(page, /<a class="skip-link" href="#main">/);
  });

  test('signed out: log in and sign up instead', () => {
    const signedOut = layout({ title: 'Welcome', body: html`<p>Hi</p>` });
    assert.match(signedOut, /<a href="\/accounts\/login">Log in<\/a>/);
    assert.match(signedOut, /<a href="\/accounts\/register">Sign up<\/a>/);
    assert.doesNotMatch(signedOut, /logout|\/links"/);
    assertCspSafe(signedOut, 'signed-out layout');
  });
});

describe('pages served by the app use the layout', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ STATIC_ROOT: built.outDir });
  });
  after(() => t.close());

  test('the landing page', async () => {
    const response = await t.app.inject({ url: '/', headers: { host: 'localhost' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    assertLinksHashedAssets(response.body);
    assertCspSafe(response.body, 'landing page');
    assert.match(response.body, /<h1>Short links that tell you who clicked<\/h1>/);
    assert.match(
      response.body,
      /<a class="button button-primary" href="\/accounts\/register">Sign up<\/a>/,
    );
    assert.doesNotMatch(response.body, /action="\/links"/, 'no shorten form when signed out');
  });

  test('an error page', async () => {
    const response = await t.app.inject({ url: '/no/such/page', headers: { host: 'localhost' } });
    assert.equal(response.statusCode, 404);
    assertLinksHashedAssets(response.body);
    assertCspSafe(response.body, '404 page');
    assert.match(response.body, /<h1>Not found<\/h1>/);
    assert.match(
      response.body,
      new RegExp(`Reference: <code>${String(response.headers['x-request-id'])}</code>`),
    );
    assert.match(response.body, /href="\/accounts\/login"/, 'error pages show no user');
  });
});
