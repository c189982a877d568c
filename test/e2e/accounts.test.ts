import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { passwordResetTokens, sessions, users } from '#src/db/schema.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import { signerFactory } from '@fastify/cookie';
import { hashPassword } from '#src/modules/accounts/index.ts';
import { createUser, unique } from '#test/factories.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import { loginAs, loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';

const STRONG = 'violet kettle under seven lamps';
let ipSequence = 0;
/** A fresh client address per browser, so rate limits of one test never touch another. */
const freshIp = () => {
  ipSequence += 1;
  return `10.${Math.floor(ipSequence / 250) % 250}.${ipSequence % 250}.${Math.floor(Math.random() * 250) + 1}`;
};
const db = async () => (await sharedDatabase()).db;

async function userRow(id: string) {
  const [row] = await (await db()).select().from(users).where(eq(users.id, id));
  assert.ok(row, 'the user exists');
  return row;
}

/** The attributes of one Set-Cookie, by cookie name. */
function setCookie(response: LightMyRequestResponse, name: string): string | undefined {
  const headers = response.headers['set-cookie'];
  const all = Array.isArray(headers) ? headers : headers ? [headers] : [];
  return all.find((header) => header.startsWith(`${name}=`));
}

/** The text of the page's error summary and field errors, without tokens or request ids. */
function errorText(page: string): string {
  return [
    ...page.matchAll(/<(?:div class="error-summary"|p class="field-error")[\s\S]*?<\/(?:div|p)>/g),
  ]
    .map((match) => match[0])
    .join('\n');
}

function outboxOf(t: TestApp): MemoryOutbox {
  assert.ok(t.container.emailSender instanceof MemoryOutbox, 'tests send mail to the outbox');
  return t.container.emailSender;
}

describe('accounts over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ SITE_URL: 'https://hop.example.com' });
  });
  after(() => t.close());

  const browser = () => new TestBrowser(t.app, { ip: freshIp() });

  test('register, check the email, log in, edit the profile, log out', async () => {
    const visitor = browser();
    const form = await visitor.get('/accounts/register');
    assert.equal(form.statusCode, 200);
    assertCspSafe(form.body, 'sign-up page');
    assert.match(form.body, /<label for="field-email">/);
    assert.ok(visitor.csrfToken, 'the form carries a CSRF token');

    const suffix = unique();
    const email = `Reg-${suffix}@Example.com`;
    const registered = await visitor.post('/accounts/register', {
      email,
      username: `Reg_${suffix}`,
      password: STRONG,
      next: '/accounts/profile',
    });
    // Not signed in: the same answer must fit an address that already had an account (0012).
    assert.equal(registered.statusCode, 303);
    assert.equal(registered.headers.location, '/accounts/register/done?next=%2Faccounts%2Fprofile');
    assert.equal(setCookie(registered, 'hoplink_session'), undefined);
    const done = await visitor.get(registered.headers.location);
    assert.match(done.body, /Check your email/);
    assertCspSafe(done.body, 'sign-up done page');
    assert.ok(done.body.includes('href="/accounts/login?next=%2Faccounts%2Fprofile"'));
    const [welcome] = outboxOf(t).to(email);
    assert.equal(welcome?.subject, '[Hoplink] Welcome to Hoplink');

    await visitor.get('/accounts/login?next=/accounts/profile');
    const loggedIn = await visitor.post('/accounts/login', {
      login: `reg_${suffix}`,
      password: STRONG,
      next: '/accounts/profile',
    });
    assert.equal(loggedIn.statusCode, 303);
    assert.equal(loggedIn.headers.location, '/accounts/profile');
    const profile = await visitor.get('/accounts/profile');
    assert.equal(profile.statusCode, 200);
    assertCspSafe(profile.body, 'profile page');
    assert.ok(profile.body.includes(`value="${email}"`));

    const saved = await visitor.post('/accounts/profile', {
      email: `moved-${suffix}@example.com`,
      username: `moved_${suffix}`,
    });
    assert.equal(saved.statusCode, 303);
    const after = await visitor.get('/accounts/profile');
    assert.match(after.body, /Your profile was saved\./);
    assert.match(after.body, new RegExp(`moved_${suffix}`));
    const again = await visitor.get('/accounts/profile');
    assert.doesNotMatch(again.body, /Your profile was saved\./, 'a flash shows once');

    const loggedOut = await visitor.post('/accounts/logout');
    assert.equal(loggedOut.statusCode, 303);
    const profileGone = await visitor.get('/accounts/profile');
    assert.equal(profileGone.statusCode, 303);
    assert.equal(profileGone.headers.location, '/accounts/login?next=%2Faccounts%2Fprofile');
  });

  test('each password rule reports on the password field, values kept, password never echoed', async () => {
    const visitor = browser();
    await visitor.get('/accounts/register');
    const suffix = unique();
    const email = `marmaduke.fitzgerald.${suffix}@example.com`;
    const username = `cheshire_${suffix}`;
    const cases = [
      {
        password: 'Tz9#pQ-w',
        message: 'This password is too short. It must contain at least 12 characters.',
      },
      { password: 'qwerty123456', message: 'This password is too common.' },
      { password: '804219376512', message: 'This password is entirely numeric.' },
      {
        password: 'marmaduke.fitzgerald',
        message: 'This password is too similar to your email address.',
      },
      { password: `${username}!`, message: 'This password is too similar to your username.' },
    ];
    for (const { password, message } of cases) {
      const response = await visitor.post('/accounts/register', { email, username, password });
      assert.equal(response.statusCode, 400, password);
      const field = /<input[^>]*name="password"[^>]*>/.exec(response.body)?.[0] ?? '';
      assert.match(field, /aria-invalid="true"/);
      assert.match(field, /aria-describedby="[^"]*field-password-error/);
      assert.match(
        response.body,
        /<p class="field-error" id="field-password-error">[^]*?<\/p>/,
        'the error sits under the field, with the id the input points at',
      );
      const fieldError =
        /<p class="field-error" id="field-password-error">([^]*?)<\/p>/.exec(response.body)?.[1] ??
        '';
      assert.ok(fieldError.includes(message.replaceAll("'", '&#39;')), `${password}: ${message}`);
      assert.ok(response.body.includes(`value="${email}"`), 'the email is filled in again');
      assert.ok(!response.body.includes(`value="${password}"`), 'the password is not');
    }
  });

  test('email and username problems land on their own fields', async () => {
    const visitor = browser();
    await visitor.get('/accounts/register');
    const response = await visitor.post('/accounts/register', {
      email: 'not an email',
      username: 'admin',
      password: STRONG,
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /id="field-email-error">[^]*Enter a valid email address/);
    assert.match(response.body, /id="field-username-error">[^]*This username is reserved/);
    assert.doesNotMatch(response.body, /id="field-password-error"/);
  });

  test('a taken username is refused; a taken email is not told (see account-enumeration)', async () => {
    const existing = await createUser(await db());
    const visitor = browser();
    await visitor.get('/accounts/register');
    const byEmail = await visitor.post('/accounts/register', {
      email: existing.email.toUpperCase(),
      username: `fresh_${unique()}`,
      password: STRONG,
    });
    assert.equal(byEmail.statusCode, 303);
    assert.equal(byEmail.headers.location, '/accounts/register/done');
    const byUsername = await visitor.post('/accounts/register', {
      email: `fresh-${unique()}@example.com`,
      username: existing.username.toUpperCase(),
      password: STRONG,
    });
    assert.equal(byUsername.statusCode, 400);
    assert.match(byUsername.body, /id="field-username-error">[^]*This username is taken/);
  });

  test('wrong password and unknown user get the same generic answer', async () => {
    const fixture = await createUser(await db());
    const visitor = browser();
    await visitor.get('/accounts/login');
    const wrong = await visitor.post('/accounts/login', {
      login: fixture.email,
      password: 'nope nope nope',
    });
    const unknown = await visitor.post('/accounts/login', {
      login: `nobody-${unique()}@example.com`,
      password: 'nope nope nope',
    });
    assert.equal(wrong.statusCode, 400);
    assert.equal(unknown.statusCode, wrong.statusCode);
    assert.match(wrong.body, /That login and password do not match an account\./);
    assert.equal(errorText(unknown.body), errorText(wrong.body));
    assert.equal(setCookie(wrong, 'hoplink_session'), undefined);
  });

  test('login accepts a local next only (no open redirect)', async () => {
    const fixture = await createUser(await db());
    for (const [next, expected] of [
      ['/links?q=a', '/links?q=a'],
      ['//evil.example/x', '/'],
      ['https://evil.example/', '/'],
      ['/\\evil.example', '/'],
    ] as const) {
      const visitor = browser();
      await visitor.get('/accounts/login');
      const response = await visitor.post('/accounts/login', {
        login: fixture.username,
        password: fixture.password,
        next,
      });
      assert.equal(response.headers.location, expected, next);
    }
  });

  test('login failures are limited per IP, with a generic 429', async () => {
    const visitor = browser();
    await visitor.get('/accounts/login');
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const response = await visitor.post('/accounts/login', {
        login: `ghost-${unique()}`,
        password: 'guess',
      });
      assert.equal(response.statusCode, 400);
    }
    const fixture = await createUser(await db());
    const blocked = await visitor.post('/accounts/login', {
      login: fixture.email,
      password: fixture.password,
    });
    assert.equal(blocked.statusCode, 429);
    assert.match(blocked.body, /Too many attempts\./);
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    // Another address is not affected.
    const elsewhere = browser();
    await elsewhere.get('/accounts/login');
    const fine = await elsewhere.post('/accounts/login', {
      login: fixture.email,
      password: fixture.password,
    });
    assert.equal(fine.statusCode, 303);
  });

  test('login failures are limited per account, whatever the address', async () => {
    const fixture = await createUser(await db());
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const visitor = browser();
      await visitor.get('/accounts/login');
      await visitor.post('/accounts/login', { login: fixture.email, password: 'guess' });
    }
    const owner = browser();
    await owner.get('/accounts/login');
    const blocked = await owner.post('/accounts/login', {
      login: fixture.email.toUpperCase(),
      password: fixture.password,
    });
    assert.equal(blocked.statusCode, 429);
    assert.match(blocked.body, /Too many attempts\./);
  });

  test('the password reset flow, end to end through the outbox', async () => {
    const outbox = outboxOf(t);
    const fixture = await createUser(await db());
    const elsewhere = await loginBrowser(t.app, fixture);

    const visitor = browser();
    await visitor.get('/accounts/password-reset');
    const asked = await visitor.post(
      '/accounts/password-reset',
      { email: fixture.email.toUpperCase() },
      { headers: { 'x-forwarded-host': 'evil.example' } },
    );
    assert.equal(asked.statusCode, 303);
    assert.equal(asked.headers.location, '/accounts/password-reset/done');
    const done = await visitor.get('/accounts/password-reset/done');
    assert.match(done.body, /If an account uses that address/);

    const [message] = outbox.to(fixture.email);
    assert.ok(message, 'an email was sent');
    assert.equal(message.subject, '[Hoplink] Reset your password');
    assert.equal(message.from, 'Hoplink <noreply@localhost>');
    const link = /https:\/\/hop\.example\.com\/accounts\/reset\/[A-Za-z0-9_-]+/.exec(
      message.text,
    )?.[0];
    assert.ok(link, `a SITE_URL link in: ${message.text}`);
    const path = new URL(link).pathname;

    const formPage = await visitor.get(path);
    assert.equal(formPage.statusCode, 200);
    assert.equal(formPage.headers['referrer-policy'], 'no-referrer');
    assert.match(formPage.body, /Choose a new password/);
    const weak = await visitor.post(path, { newPassword: 'qwerty123456' });
    assert.equal(weak.statusCode, 400);
    assert.match(weak.body, /id="field-newPassword-error">[^]*This password is too common\./);

    const reset = await visitor.post(path, { newPassword: STRONG });
    assert.equal(reset.statusCode, 303);
    assert.equal(reset.headers.location, '/accounts/reset/complete');
    assert.match((await visitor.get('/accounts/reset/complete')).body, /Your password is set/);

    assert.equal(
      (await elsewhere.get('/accounts/profile')).statusCode,
      303,
      'other sessions ended',
    );
    const remaining = await (
      await db()
    )
      .select()
      .from(sessions)
      .where(eq(sessions.userId, fixture.id));
    assert.deepEqual(remaining, []);

    const reused = await visitor.get(path);
    assert.equal(reused.statusCode, 400);
    assert.match(reused.body, /invalid or has expired/);
    await visitor.get('/accounts/password-reset');
    const reusedPost = await visitor.post(path, { newPassword: 'yet another passphrase' });
    assert.equal(reusedPost.statusCode, 400);

    const fresh = browser();
    await fresh.get('/accounts/login');
    const old = await fresh.post('/accounts/login', {
      login: fixture.email,
      password: fixture.password,
    });
    assert.equal(old.statusCode, 400);
    const now = await fresh.post('/accounts/login', { login: fixture.email, password: STRONG });
    assert.equal(now.statusCode, 303);
  });

  test('an unknown address gets the identical answer and no email', async () => {
    const outbox = outboxOf(t);
    const known = await createUser(await db());
    const before = outbox.messages.length;
    const visitor = browser();
    await visitor.get('/accounts/password-reset');
    const unknown = await visitor.post('/accounts/password-reset', {
      email: `nobody-${unique()}@example.com`,
    });
    assert.equal(outbox.messages.length, before, 'nothing sent');
    const knownAnswer = await visitor.post('/accounts/password-reset', { email: known.email });
    assert.equal(outbox.messages.length, before + 1);
    assert.equal(unknown.statusCode, knownAnswer.statusCode);
    assert.equal(unknown.headers.location, knownAnswer.headers.location);
    assert.equal(unknown.body, knownAnswer.body);
  });

  test('a reset link older than one hour is refused', async () => {
    const outbox = outboxOf(t);
    const fixture = await createUser(await db());
    const visitor = browser();
    await visitor.get('/accounts/password-reset');
    await visitor.post('/accounts/password-reset', { email: fixture.email });
    const link = /\/accounts\/reset\/[A-Za-z0-9_-]+/.exec(
      outbox.to(fixture.email)[0]?.text ?? '',
    )?.[0];
    assert.ok(link);
    await (
      await db()
    )
      .update(passwordResetTokens)
      .set({
        createdAt: sql`now() - interval '61 minutes'`,
        expiresAt: sql`now() - interval '1 minute'`,
      })
      .where(eq(passwordResetTokens.userId, fixture.id));
    const page = await visitor.get(link);
    assert.equal(page.statusCode, 400);
    const post = await visitor.post(link, { newPassword: STRONG });
    assert.equal(post.statusCode, 400);
    const fresh = browser();
    await fresh.get('/accounts/login');
    assert.equal(
      (await fresh.post('/accounts/login', { login: fixture.email, password: STRONG })).statusCode,
      400,
      'the password did not change',
    );
  });

  test('reset requests are limited per address', async () => {
    const email = `flood-${unique()}@example.com`;
    let last: LightMyRequestResponse | undefined;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const visitor = browser();
      await visitor.get('/accounts/password-reset');
      last = await visitor.post('/accounts/password-reset', { email });
    }
    assert.ok(last);
    assert.equal(last.statusCode, 429);
    assert.match(last.body, /Too many attempts\./);
  });

  test('changing the password needs the current one and ends the other sessions', async () => {
    const fixture = await createUser(await db());
    const here = await loginBrowser(t.app, fixture);
    const there = await loginBrowser(t.app, fixture);
    const wrong = await here.post('/accounts/profile/password', {
      currentPassword: 'not it',
      newPassword: STRONG,
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(
      wrong.body,
      /id="field-currentPassword-error">[^]*Your current password is not correct\./,
    );
    const changed = await here.post('/accounts/profile/password', {
      currentPassword: fixture.password,
      newPassword: STRONG,
    });
    assert.equal(changed.statusCode, 303);
    assert.equal((await here.get('/accounts/profile')).statusCode, 200, 'this session stays');
    assert.equal((await there.get('/accounts/profile')).statusCode, 303, 'the other one ended');
  });

  test('signed-in pages send visitors to the login form; the API answers 401', async () => {
    const page = await t.app.inject({
      url: '/accounts/profile?tab=1',
      headers: { host: 'localhost' },
    });
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, '/accounts/login?next=%2Faccounts%2Fprofile%3Ftab%3D1');
    const api = await t.app.inject({ url: '/api/v1/me', headers: { host: 'localhost' } });
    assert.equal(api.statusCode, 401);
    assert.equal(api.json<{ error: { code: string } }>().error.code, 'unauthorized');
  });

  test('the session rotates on login: a new token, and the old one is dead', async () => {
    const first = await createUser(await db());
    const second = await createUser(await db());
    const visitor = await loginBrowser(t.app, first);
    const before = visitor.cookies.get('hoplink_session');
    const csrfBefore = visitor.cookies.get('hoplink_csrf');
    const stolen = visitor.cookieHeader;
    await visitor.get('/accounts/login');
    const again = await visitor.post('/accounts/login', {
      login: second.email,
      password: second.password,
    });
    assert.equal(again.statusCode, 303);
    assert.notEqual(visitor.cookies.get('hoplink_session'), before);
    assert.notEqual(visitor.cookies.get('hoplink_csrf'), csrfBefore, 'the CSRF secret rotates too');
    const old = await t.app.inject({
      url: '/accounts/profile',
      headers: { host: 'localhost', cookie: stolen },
    });
    assert.equal(old.statusCode, 303, 'the replaced session is gone');
  });

  test('session cookie: HttpOnly, SameSite=Lax, Path=/, signed, no Secure on plain HTTP', async () => {
    const fixture = await createUser(await db());
    const visitor = new TestBrowser(t.app, { ip: freshIp() });
    await visitor.get('/accounts/login');
    const response = await visitor.post('/accounts/login', {
      login: fixture.email,
      password: fixture.password,
    });
    const cookie = setCookie(response, 'hoplink_session');
    assert.ok(cookie, 'a session cookie');
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.match(cookie, /; Path=\//);
    assert.match(cookie, /; Max-Age=\d+/);
    assert.doesNotMatch(cookie, /; Secure/);
    // The row holds the SHA-256 of the token, never the token itself.
    const token = decodeURIComponent(visitor.cookies.get('hoplink_session') ?? '').replace(
      /\.[^.]*$/,
      '',
    );
    const rows = await (await db()).select().from(sessions).where(eq(sessions.userId, fixture.id));
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(token));
  });

  test('idle expiry and absolute expiry end the session (timestamps moved in the database)', async () => {
    for (const change of [
      { lastSeenAt: sql`now() - interval '15 days'` },
      { createdAt: sql`now() - interval '91 days'` },
    ]) {
      const fixture = await createUser(await db());
      const cookie = await loginAs(t.app, fixture);
      const ok = await t.app.inject({
        url: '/accounts/profile',
        headers: { host: 'localhost', cookie },
      });
      assert.equal(ok.statusCode, 200);
      await (await db()).update(sessions).set(change).where(eq(sessions.userId, fixture.id));
      const expired = await t.app.inject({
        url: '/accounts/profile',
        headers: { host: 'localhost', cookie },
      });
      assert.equal(expired.statusCode, 303, JSON.stringify(Object.keys(change)));
      assert.match(String(setCookie(expired, 'hoplink_session')), /Expires=Thu, 01 Jan 1970/);
    }
  });

  test('a hash made with older parameters is upgraded at login', async () => {
    const password = 'an old but good passphrase';
    const oldHash = await hashPassword(password, { timeCost: 1, memoryCost: 8192, parallelism: 1 });
    const fixture = await createUser(await db(), { password, passwordHash: oldHash });
    await loginAs(t.app, fixture);
    const { passwordHash } = await userRow(fixture.id);
    assert.notEqual(passwordHash, oldHash);
    assert.match(passwordHash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });
});

describe('CSRF protection', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ CSRF_TRUSTED_ORIGINS: 'https://app.example.com' });
  });
  after(() => t.close());

  /** Submits the profile form with a change to the email and says whether the row changed. */
  async function submitProfile(options: Parameters<TestBrowser['post']>[2]) {
    const fixture = await createUser(await db());
    const visitor = await loginBrowser(t.app, fixture);
    const email = `csrf-${unique()}@example.com`;
    const response = await visitor.post(
      '/accounts/profile',
      { email, username: fixture.username },
      options,
    );
    const changed = (await userRow(fixture.id)).email === email;
    return { response, changed };
  }

  const refusals = [
    { what: 'a missing token', options: { csrf: null } },
    { what: 'a wrong token', options: { csrf: 'AAAA.BBBB' } },
    {
      what: 'a token made for another secret',
      options: { csrf: 'x'.repeat(22) + '.' + 'y'.repeat(43) },
    },
    { what: 'a foreign Origin', options: { origin: 'https://evil.example' } },
    { what: 'an Origin of null', options: { origin: 'null' } },
    {
      what: 'a foreign Referer (no Origin)',
      options: { origin: null, headers: { referer: 'https://evil.example/page' } },
    },
  ] as const;
  for (const { what, options } of refusals) {
    test(`${what} is refused with 403 and changes nothing`, async () => {
      const { response, changed } = await submitProfile(options);
      assert.equal(response.statusCode, 403);
      assert.match(String(response.headers['content-type']), /text\/html/);
      assert.equal(changed, false);
    });
  }

  test('our own origin, a same-site Referer, or a CSRF_TRUSTED_ORIGINS origin is accepted', async () => {
    for (const options of [
      {},
      { origin: null, headers: { referer: 'http://localhost/accounts/profile' } },
      { origin: 'https://app.example.com' },
    ]) {
      const { response, changed } = await submitProfile(options);
      assert.equal(response.statusCode, 303, JSON.stringify(options));
      assert.equal(changed, true);
    }
  });

  test('the login form needs the CSRF cookie too (no login CSRF)', async () => {
    const fixture = await createUser(await db());
    const visitor = new TestBrowser(t.app, { ip: freshIp() });
    await visitor.get('/accounts/login');
    visitor.cookies.clear();
    const response = await visitor.post('/accounts/login', {
      login: fixture.email,
      password: fixture.password,
    });
    assert.equal(response.statusCode, 403);
    assert.equal(setCookie(response, 'hoplink_session'), undefined);
  });

  test('a form rendered before login does not verify after it (the secret rotated)', async () => {
    const fixture = await createUser(await db());
    const visitor = new TestBrowser(t.app, { ip: freshIp() });
    await visitor.get('/accounts/login');
    const anonymousToken = visitor.csrfToken;
    const login = await visitor.post('/accounts/login', {
      login: fixture.email,
      password: fixture.password,
    });
    assert.equal(login.statusCode, 303);
    const response = await visitor.post(
      '/accounts/profile',
      { email: fixture.email, username: fixture.username },
      { csrf: anonymousToken },
    );
    assert.equal(response.statusCode, 403);
  });

  test('/csp-report and /api/ are exempt', async () => {
    const report = await t.app.inject({
      method: 'POST',
      url: '/csp-report',
      headers: {
        host: 'localhost',
        'content-type': 'application/csp-report',
        origin: 'https://evil.example',
      },
      payload: '{"csp-report":{}}',
    });
    assert.equal(report.statusCode, 204);
    const api = await t.app.inject({
      method: 'POST',
      url: '/api/v1/nothing',
      headers: { host: 'localhost', origin: 'https://evil.example' },
    });
    assert.equal(api.statusCode, 404);
  });
});

describe('secure cookies', () => {
  test('with SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE the cookies are __Host- and Secure', async () => {
    const t = await buildTestApp({ SESSION_COOKIE_SECURE: 'true', CSRF_COOKIE_SECURE: 'true' });
    try {
      const fixture = await createUser(await db());
      const visitor = new TestBrowser(t.app, { ip: freshIp() });
      const form = await visitor.get('/accounts/login');
      const csrf = setCookie(form, '__Host-hoplink_csrf');
      assert.ok(csrf, 'a __Host- CSRF cookie');
      assert.match(csrf, /; Secure/);
      assert.match(csrf, /; HttpOnly/);
      assert.match(csrf, /; Path=\//);
      assert.doesNotMatch(csrf, /; Domain=/i);
      const response = await visitor.post('/accounts/login', {
        login: fixture.email,
        password: fixture.password,
      });
      assert.equal(response.statusCode, 303);
      const session = setCookie(response, '__Host-hoplink_session');
      assert.ok(session, 'a __Host- session cookie');
      assert.match(session, /; Secure/);
      assert.match(session, /; HttpOnly/);
      assert.match(session, /; SameSite=Lax/);
      assert.match(session, /; Path=\//);
      assert.doesNotMatch(session, /; Domain=/i);
      assert.equal((await visitor.get('/accounts/profile')).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});

describe('secret key rotation', () => {
  test('a cookie signed with a key moved to SECRET_KEY_FALLBACKS still works, and is re-signed', async () => {
    const oldKey = randomBytes(48).toString('base64url');
    const newKey = randomBytes(48).toString('base64url');
    const before = await buildTestApp({ SECRET_KEY: oldKey });
    const rotated = await buildTestApp({ SECRET_KEY: newKey, SECRET_KEY_FALLBACKS: oldKey });
    const forgotten = await buildTestApp({ SECRET_KEY: newKey });
    try {
      const fixture = await createUser(await db());
      const cookie = await loginAs(before.app, fixture);
      const profile = (app: TestApp) =>
        app.app.inject({ url: '/accounts/profile', headers: { host: 'localhost', cookie } });

      const accepted = await profile(rotated);
      assert.equal(accepted.statusCode, 200);
      const resigned = setCookie(accepted, 'hoplink_session');
      assert.ok(resigned, 'the cookie comes back signed with the new key');
      const value = decodeURIComponent(resigned.split(';')[0]!.split('=')[1]!);
      // The cookie parser lives in the site scope; the same signer checks it here.
      const signer = signerFactory([newKey, oldKey]);
      assert.equal(signer.unsign(value).valid, true);
      assert.equal(signer.unsign(value).renew, false, 'signed with the current key');

      assert.equal(
        (await profile(forgotten)).statusCode,
        303,
        'without the fallback it is refused',
      );
    } finally {
      await Promise.all([before.close(), rotated.close(), forgotten.close()]);
    }
  });
});
