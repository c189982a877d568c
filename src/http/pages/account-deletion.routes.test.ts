import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { count, eq, inArray } from 'drizzle-orm';
import {
  apiTokens,
  clickDaily,
  clickDailyValues,
  clickDailyVisitors,
  clicks,
  links,
  passwordResetTokens,
  sessions,
  users,
} from '#src/db/schema.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import {
  createApiToken,
  createLink,
  createUser,
  unique,
  type UserFixture,
} from '#test/factories.ts';
import { seedClicks } from '#test/helpers/export-fixtures.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';

describe('deleting one’s account', () => {
  let t: TestApp;
  const db = () => t.container.database.db;
  before(async () => {
    t = await buildTestApp({ SITE_URL: 'https://hop.example.com' });
  });
  after(() => t.close());

  /** A user with two links (one with a slug), clicks on both, a token and a reset link. */
  async function account() {
    const user = await createUser(db());
    const slug = `go-${unique()}`.toLowerCase().slice(0, 64);
    const plain = await createLink(db(), { ownerId: user.id });
    const slugged = await createLink(db(), { ownerId: user.id, slug });
    await seedClicks(db(), plain.id, 20);
    await seedClicks(db(), slugged.id, 5);
    const token = await createApiToken(t.container.apiTokens, user.id, ['links:read']);
    await db()
      .insert(passwordResetTokens)
      .values({
        userId: user.id,
        tokenHash: `h-${unique()}`,
        expiresAt: new Date(Date.now() + 3_600_000),
      });
    const browser = await loginBrowser(t.app, user);
    const elsewhere = await loginBrowser(t.app, user);
    return { user, plain, slugged, slug, token, browser, elsewhere };
  }

  /** The rows the account owns, table by table. */
  async function rowsOf(user: UserFixture, linkIds: string[]) {
    const counted = async (query: Promise<{ n: number }[]>) => (await query)[0]?.n ?? 0;
    return {
      users: await counted(db().select({ n: count() }).from(users).where(eq(users.id, user.id))),
      links: await counted(
        db().select({ n: count() }).from(links).where(eq(links.ownerId, user.id)),
      ),
      clicks: await counted(
        db().select({ n: count() }).from(clicks).where(inArray(clicks.linkId, linkIds)),
      ),
      clickDaily: await counted(
        db().select({ n: count() }).from(clickDaily).where(inArray(clickDaily.linkId, linkIds)),
      ),
      clickDailyValues: await counted(
        db()
          .select({ n: count() })
          .from(clickDailyValues)
          .where(inArray(clickDailyValues.linkId, linkIds)),
      ),
      clickDailyVisitors: await counted(
        db()
          .select({ n: count() })
          .from(clickDailyVisitors)
          .where(inArray(clickDailyVisitors.linkId, linkIds)),
      ),
      sessions: await counted(
        db().select({ n: count() }).from(sessions).where(eq(sessions.userId, user.id)),
      ),
      apiTokens: await counted(
        db().select({ n: count() }).from(apiTokens).where(eq(apiTokens.userId, user.id)),
      ),
      resetTokens: await counted(
        db()
          .select({ n: count() })
          .from(passwordResetTokens)
          .where(eq(passwordResetTokens.userId, user.id)),
      ),
    };
  }

  function outbox(): MemoryOutbox {
    assert.ok(t.container.emailSender instanceof MemoryOutbox);
    return t.container.emailSender;
  }

  // Every browser here is 127.0.0.1: the tries below stay far under the 20 an IP may make.
  const post = (browser: TestBrowser, password: string) =>
    browser.post('/accounts/delete', { password });

  test('the page says what goes and asks for the password; anonymous visitors log in first', async () => {
    const { browser, user } = await account();
    const page = await browser.get('/accounts/delete');
    assert.equal(page.statusCode, 200);
    assertCspSafe(page.body, 'deletion page');
    assert.match(page.body, /Your links: they stop redirecting at once/);
    assert.match(page.body, new RegExp(`the account <strong>${user.username}</strong>`));
    assert.match(page.body, /<input[^>]*name="password"[^>]*type="password"/);
    assert.match(page.body, /name="_csrf"/);

    const anonymous = await new TestBrowser(t.app).get('/accounts/delete');
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, '/accounts/login?next=%2Faccounts%2Fdelete');
  });

  test('a wrong password, or no CSRF token, shows the form again and deletes nothing', async () => {
    const { user, plain, slugged, browser } = await account();
    const ids = [plain.id, slugged.id];
    const before = await rowsOf(user, ids);
    assert.deepEqual(before, {
      users: 1,
      links: 2,
      clicks: 25,
      clickDaily: 2,
      clickDailyValues: before.clickDailyValues,
      clickDailyVisitors: before.clickDailyVisitors,
      sessions: 2,
      apiTokens: 1,
      resetTokens: 1,
    });
    assert.ok(before.clickDailyValues > 0 && before.clickDailyVisitors > 0);

    const wrong = await post(browser, 'not my password at all');
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /That is not your password; nothing was deleted\./);
    assert.match(wrong.body, /aria-invalid="true"/);

    const forged = await browser.post(
      '/accounts/delete',
      { password: user.password },
      { csrf: null },
    );
    assert.equal(forged.statusCode, 403);

    assert.deepEqual(await rowsOf(user, ids), before);
    assert.equal((await browser.get('/accounts/profile')).statusCode, 200, 'still signed in');
    assert.equal((await browser.get(`/${plain.code}`)).statusCode, 302, 'still redirecting');
    assert.deepEqual(outbox().to(user.email), []);
  });

  test('the right password deletes everything it owned, signs out everywhere and emails the address', async () => {
    const { user, plain, slugged, slug, token, browser, elsewhere } = await account();
    // Cached as live in this process first: only the broadcast can make them stop now.
    assert.equal((await browser.get(`/${plain.code}`)).statusCode, 302);
    assert.equal((await browser.get(`/${user.username}/${slug}`)).statusCode, 302);
    const sessionCookie = [...browser.cookies.keys()].find((name) => name.includes('session'));
    assert.ok(sessionCookie);

    const done = await post(browser, user.password);
    assert.equal(done.statusCode, 303, done.body);
    assert.equal(done.headers.location, '/accounts/deleted');
    assert.ok(!browser.cookies.has(sessionCookie), 'the session cookie is cleared');
    const page = await browser.get('/accounts/deleted');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Your account is deleted/);

    assert.deepEqual(await rowsOf(user, [plain.id, slugged.id]), {
      users: 0,
      links: 0,
      clicks: 0,
      clickDaily: 0,
      clickDailyValues: 0,
      clickDailyVisitors: 0,
      sessions: 0,
      apiTokens: 0,
      resetTokens: 0,
    });

    assert.equal((await browser.get(`/${plain.code}`)).statusCode, 404);
    assert.equal((await browser.get(`/${slugged.code}`)).statusCode, 404);
    assert.equal((await browser.get(`/${user.username}/${slug}`)).statusCode, 404);

    const otherDevice = await elsewhere.get('/accounts/profile');
    assert.equal(otherDevice.statusCode, 303, 'the other session ended too');
    const api = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: token.authorization },
    });
    assert.equal(api.statusCode, 401);

    const [email, ...more] = outbox().to(user.email);
    assert.equal(more.length, 0);
    assert.ok(email, 'an email to the old address');
    assert.equal(email.subject, '[Hoplink] Your Hoplink account is deleted');
    assert.match(email.text, new RegExp(`Hello ${user.username},`));
    assert.match(email.text, /https:\/\/hop\.example\.com\//);
  });

  test('password checks share the login’s limits: the sixth try is a 429, and nothing goes', async () => {
    const { user, plain, slugged, browser } = await account();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      assert.equal((await post(browser, `wrong ${attempt}`)).statusCode, 400);
    }
    const limited = await post(browser, user.password);
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.match(limited.body, /Too many attempts/);
    assert.equal((await rowsOf(user, [plain.id, slugged.id])).users, 1);
  });
});
