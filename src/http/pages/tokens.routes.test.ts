import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { apiTokens } from '#src/db/schema.ts';
import { createUser } from '#test/factories.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';

const TOKEN = /hop_[a-z0-9]{8}_[A-Za-z0-9]{32}/;

describe('/settings/tokens', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  const signedIn = async () => {
    const user = await createUser((await sharedDatabase()).db);
    return { user, browser: await loginBrowser(t.app, user) };
  };

  test('needs a signed-in user', async () => {
    const response = await new TestBrowser(t.app).get('/settings/tokens');
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/accounts/login?next=%2Fsettings%2Ftokens');
  });

  test('a created token is shown once, stored hashed, and listed by its prefix', async () => {
    const { user, browser } = await signedIn();
    const empty = await browser.get('/settings/tokens');
    assert.equal(empty.statusCode, 200);
    assertCspSafe(empty.body, 'tokens page');
    assert.match(empty.body, /No API tokens yet/);

    const created = await browser.post('/settings/tokens', {
      name: 'deploy <script>',
      scopes: ['links:read', 'links:write'],
    });
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers['cache-control'], 'no-store');
    const token = TOKEN.exec(created.body)?.[0];
    assert.ok(token, 'the new token is on the page');
    assert.match(created.body, /it will not be shown again/);
    assert.ok(created.body.includes('deploy &lt;script&gt;'), 'the name is escaped');
    const setCookies = JSON.stringify(created.headers['set-cookie'] ?? '');
    assert.ok(!setCookies.includes(token), 'never in a cookie');

    const rows = await (
      await sharedDatabase()
    ).db
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.userId, user.id));
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(token), 'the raw token is not in the database');
    assert.deepEqual(rows[0]?.scopes, ['links:read', 'links:write']);
    const identity = await t.container.apiTokens.authenticate(token);
    assert.equal(identity?.user.id, user.id);

    const later = await browser.get('/settings/tokens');
    assert.doesNotMatch(later.body, TOKEN, 'not shown a second time');
    assert.ok(later.body.includes(`${token.slice(0, 12)}…`), 'listed by its prefix');
    assert.match(later.body, /links:read, links:write/);
  });

  test('the form offers a read-only token unless links:write is ticked, like `hoplink token`', async () => {
    const { browser } = await signedIn();
    const page = await browser.get('/settings/tokens');
    const checkbox = (scope: string) =>
      new RegExp(`<input[^>]*id="field-scopes-${scope.replace(':', '-')}"[^>]*>`).exec(
        page.body,
      )?.[0] ?? '';
    assert.match(checkbox('links:read'), /\schecked[\s>]/);
    assert.doesNotMatch(checkbox('links:write'), /\schecked[\s>]/);
    assert.match(checkbox('links:write'), /value="links:write"/);
  });

  test('a missing name or scope is reported on its field', async () => {
    const { browser } = await signedIn();
    await browser.get('/settings/tokens');
    const response = await browser.post('/settings/tokens', { name: '' });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /id="field-name-error">[^]*Give the token a name\./);
    assert.match(response.body, /id="field-scopes-error">[^]*Choose at least one scope\./);
    const one = await browser.post('/settings/tokens', { name: 'reader', scopes: 'links:read' });
    assert.equal(one.statusCode, 201, 'a single checkbox is accepted');
  });

  test('revoking: the token stops working, the list says so, and only the owner can', async () => {
    const { user, browser } = await signedIn();
    const { token, apiToken } = await t.container.apiTokens.create(user.id, {
      name: 'ci',
      scopes: ['links:read'],
    });
    const stranger = await signedIn();
    const refused = await stranger.browser.post(`/settings/tokens/${apiToken.id}/revoke`);
    assert.equal(refused.statusCode, 404);
    assert.notEqual(await t.container.apiTokens.authenticate(token), null);

    await browser.get('/settings/tokens');
    const revoked = await browser.post(`/settings/tokens/${apiToken.id}/revoke`);
    assert.equal(revoked.statusCode, 303);
    assert.equal(await t.container.apiTokens.authenticate(token), null);
    const page = await browser.get('/settings/tokens');
    assert.match(page.body, /was revoked\./);
    assert.match(page.body, /Revoked/);
  });

  test('revoking needs the CSRF token', async () => {
    const { user, browser } = await signedIn();
    const { token, apiToken } = await t.container.apiTokens.create(user.id, {
      name: 'ci',
      scopes: ['links:read'],
    });
    const response = await browser.post(
      `/settings/tokens/${apiToken.id}/revoke`,
      {},
      { csrf: null },
    );
    assert.equal(response.statusCode, 403);
    assert.notEqual(await t.container.apiTokens.authenticate(token), null);
  });
});
