import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { apiTokens, links, passwordResetTokens, sessions, users } from '#src/db/schema.ts';
import { createApiToken, createLink, createUser, unique } from '#test/factories.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';

// The bad inputs the other suites do not already cover. Covered elsewhere, not repeated here:
// - invalid, javascript:, own-host and too-long target URLs; reserved, invalid and duplicate
//   aliases; missing/forged CSRF on create; another owner's link (pages):
//   src/http/pages/links.routes.test.ts
// - the same over the API, with malformed JSON and a 413 body, and another owner's link:
//   src/http/api/links.routes.test.ts
// - missing, malformed, unknown and revoked tokens on reads; read-only tokens writing:
//   src/http/api/bearer-auth.test.ts; revoking without CSRF: src/http/pages/tokens.routes.test.ts
// - weak passwords, taken email/username, unknown email on reset (same answer, no email),
//   CSRF on the profile form: test/e2e/accounts.test.ts
// What is left: oversized form bodies on the pages, CSRF on logout, edit, delete and token
// creation, a revoked or unknown token trying to write, and the database side of a weak
// password and an unknown reset address.

let ipSequence = 0;
const freshIp = () => {
  ipSequence += 1;
  return `10.77.${Math.floor(ipSequence / 250) % 250}.${(ipSequence % 250) + 1}`;
};
const db = async () => (await sharedDatabase()).db;

async function countOf(
  table: typeof users | typeof links | typeof apiTokens | typeof passwordResetTokens,
): Promise<number> {
  const [row] = await (await db()).select({ n: count() }).from(table);
  return row?.n ?? 0;
}

async function linkRow(id: string) {
  const [row] = await (await db()).select().from(links).where(eq(links.id, id));
  return row;
}

/** The heading of a friendly error page. */
function messageOf(body: string): string {
  const title = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(body)?.[1] ?? '';
  return title.replace(/<[^>]+>/g, '').trim();
}

describe('bad input changes nothing', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ SITE_URL: 'https://hop.example.com' });
  });
  after(() => t.close());

  const signedIn = async () => {
    const user = await createUser(await db());
    return { user, browser: await loginBrowser(t.app, user) };
  };

  test('an oversized form body is a 413 page, and nothing is stored', async () => {
    const { user, browser } = await signedIn();
    await browser.get('/links/new');
    const linksBefore = await countOf(links);
    const huge = await browser.post('/links', {
      url: `https://example.com/${'a'.repeat(2 * 1024 * 1024)}`,
    });
    assert.equal(huge.statusCode, 413);
    assert.match(String(huge.headers['content-type']), /text\/html/);
    assert.match(huge.body, /too large for us to accept/);
    assert.equal(await countOf(links), linksBefore);
    const mine = await (await db()).select().from(links).where(eq(links.ownerId, user.id));
    assert.deepEqual(mine, []);

    const visitor = new TestBrowser(t.app, { ip: freshIp() });
    await visitor.get('/accounts/register');
    const usersBefore = await countOf(users);
    const register = await visitor.post('/accounts/register', {
      email: `big-${unique()}@example.com`,
      username: `big_${unique()}`.slice(0, 30),
      password: 'x'.repeat(2 * 1024 * 1024),
    });
    assert.equal(register.statusCode, 413);
    assert.equal(await countOf(users), usersBefore);
  });

  test('a weak password creates no user row', async () => {
    const visitor = new TestBrowser(t.app, { ip: freshIp() });
    await visitor.get('/accounts/register');
    const before = await countOf(users);
    const email = `weak-${unique()}@example.com`;
    const response = await visitor.post('/accounts/register', {
      email,
      username: `weak_${unique()}`.slice(0, 30),
      password: 'qwerty123456',
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /This password is too common\./);
    assert.equal(await countOf(users), before);
    assert.equal(visitor.cookies.has('hoplink_session'), false, 'not signed in');
  });

  test('a reset for an unknown address stores no reset token', async () => {
    const visitor = new TestBrowser(t.app, { ip: freshIp() });
    await visitor.get('/accounts/password-reset');
    const before = await countOf(passwordResetTokens);
    const response = await visitor.post('/accounts/password-reset', {
      email: `nobody-${unique()}@example.com`,
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/accounts/password-reset/done');
    assert.equal(await countOf(passwordResetTokens), before);
  });

  const withoutCsrf = [
    { what: 'a missing CSRF token', csrf: null },
    { what: 'an invalid CSRF token', csrf: 'AAAA.BBBB' },
  ] as const;
  for (const { what, csrf } of withoutCsrf) {
    test(`${what} on logout, edit, delete and token creation: 403, nothing changed`, async () => {
      const { user, browser } = await signedIn();
      const link = await createLink(await db(), { ownerId: user.id });
      const stored = await linkRow(link.id);
      const tokensBefore = await countOf(apiTokens);
      const sessionsBefore = await (
        await db()
      )
        .select()
        .from(sessions)
        .where(eq(sessions.userId, user.id));

      const refused = [
        await browser.post('/accounts/logout', {}, { csrf }),
        await browser.post(
          `/links/${link.id}/edit`,
          { url: 'https://example.com/changed', code: link.code },
          { csrf },
        ),
        await browser.post(`/links/${link.id}/delete`, {}, { csrf }),
        await browser.post(`/links/${link.id}/disable`, {}, { csrf }),
        await browser.post('/settings/tokens', { name: 'sneaky', scopes: 'links:read' }, { csrf }),
      ];
      for (const response of refused) {
        assert.equal(response.statusCode, 403);
        assert.match(messageOf(response.body), /\S/, 'a page that says why');
      }
      assert.deepEqual(await linkRow(link.id), stored, 'the link is as it was');
      assert.equal(await countOf(apiTokens), tokensBefore);
      assert.deepEqual(
        await (await db()).select().from(sessions).where(eq(sessions.userId, user.id)),
        sessionsBefore,
        'the session still stands',
      );
      assert.equal((await browser.get('/accounts/profile')).statusCode, 200, 'still signed in');
    });
  }

  test('a revoked or unknown token cannot write: 401, the links unchanged', async () => {
    const user = await createUser(await db());
    const link = await createLink(await db(), { ownerId: user.id });
    const revoked = await createApiToken(t.container.apiTokens, user.id);
    await t.container.apiTokens.revoke(user.id, revoked.id);
    const stored = await linkRow(link.id);
    const before = await countOf(links);
    for (const authorization of [revoked.authorization, `Bearer hop_${'x'.repeat(40)}`]) {
      const calls = [
        { method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/new' } },
        { method: 'PATCH', url: `/api/v1/links/${link.id}`, payload: { disabled: true } },
        { method: 'DELETE', url: `/api/v1/links/${link.id}` },
      ] as const;
      for (const call of calls) {
        const response = await t.app.inject({
          ...call,
          headers: { host: 'localhost', authorization },
        });
        assert.equal(response.statusCode, 401, `${call.method} ${call.url}`);
        const body = response.json<{ error: { code: string; message: string } }>();
        assert.equal(body.error.code, 'unauthorized');
        assert.match(body.error.message, /\S/);
      }
    }
    assert.equal(await countOf(links), before);
    assert.deepEqual(await linkRow(link.id), stored);
  });
});
