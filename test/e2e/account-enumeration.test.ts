import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { users } from '#src/db/schema.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import { createUser, unique } from '#test/factories.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';

// Nothing a visitor can do on the account pages tells whether an email address has an account:
// not the lockout, not the login answer, not sign-up. See docs/decisions/0012.

const STRONG = 'violet kettle under seven lamps';
let ipSequence = 0;
const freshIp = () => {
  ipSequence += 1;
  return `10.88.${Math.floor(ipSequence / 250) % 250}.${(ipSequence % 250) + 1}`;
};
const db = async () => (await sharedDatabase()).db;

/** A page with what legitimately differs between two answers blanked: tokens, ids, echoes. */
function comparable(response: LightMyRequestResponse, ...echoes: string[]): string {
  let body = response.body
    .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""')
    .replace(/<code>[A-Za-z0-9_-]{8,}<\/code>/g, '<code></code>');
  for (const echo of echoes) body = body.replaceAll(echo, '…');
  return body;
}

/** Status, the headers a client could tell apart, and the page. */
function answer(response: LightMyRequestResponse, ...echoes: string[]) {
  const cookies = response.headers['set-cookie'];
  const cookieNames = (Array.isArray(cookies) ? cookies : cookies ? [cookies] : []).map(
    (cookie) => cookie.split('=')[0],
  );
  return {
    status: response.statusCode,
    location: response.headers.location,
    retryAfter: response.headers['retry-after'],
    cookieNames,
    body: comparable(response, ...echoes),
  };
}

describe('no account enumeration', () => {
  let t: TestApp;
  let outbox: MemoryOutbox;
  before(async () => {
    t = await buildTestApp({ SITE_URL: 'https://hop.example.com' });
    assert.ok(t.container.emailSender instanceof MemoryOutbox);
    outbox = t.container.emailSender;
  });
  after(() => t.close());

  async function logIn(login: string, password: string) {
    const browser = new TestBrowser(t.app, { ip: freshIp() });
    await browser.get('/accounts/login');
    return browser.post('/accounts/login', { login, password });
  }

  async function signUp(form: { email: string; username: string; password: string }) {
    const browser = new TestBrowser(t.app, { ip: freshIp() });
    await browser.get('/accounts/register');
    return browser.post('/accounts/register', form);
  }

  test('after 5 failed logins by username, its email and an unknown email get the same answer', async () => {
    const fixture = await createUser(await db());
    for (let attempt = 0; attempt < 5; attempt += 1) {
      assert.equal((await logIn(fixture.username, 'a wrong guess')).statusCode, 400);
    }
    const byName = await logIn(fixture.username, 'a wrong guess');
    assert.equal(byName.statusCode, 429, 'the name that was guessed at is paused');

    const unknownEmail = `nobody-${unique()}@example.com`;
    const byEmail = await logIn(fixture.email, 'a wrong guess');
    const byUnknown = await logIn(unknownEmail, 'a wrong guess');
    assert.deepEqual(answer(byEmail, fixture.email), answer(byUnknown, unknownEmail));
    assert.equal(byEmail.statusCode, 400);
    assert.match(byEmail.body, /That login and password do not match an account\./);

    // The account's budget is spent whichever name is typed: even its password is not checked.
    const owner = await logIn(fixture.email, fixture.password);
    assert.deepEqual(answer(owner, fixture.email), answer(byUnknown, unknownEmail));
  });

  test('sign-up with a taken email answers exactly like a fresh sign-up; the owner gets an email', async () => {
    const existing = await createUser(await db());
    const freshEmail = `fresh-${unique()}@example.com`;
    const freshName = `fresh_${unique()}`.slice(0, 30);
    const takenName = `taken_${unique()}`.slice(0, 30);
    const before = outbox.messages.length;

    const fresh = await signUp({ email: freshEmail, username: freshName, password: STRONG });
    const taken = await signUp({
      email: existing.email.toUpperCase(),
      username: takenName,
      password: STRONG,
    });
    assert.deepEqual(
      answer(taken, existing.email.toUpperCase(), takenName),
      answer(fresh, freshEmail, freshName),
    );
    assert.equal(fresh.statusCode, 303);
    assert.equal(fresh.headers.location, '/accounts/register/done');

    const done = await new TestBrowser(t.app).get('/accounts/register/done');
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /Check your email/);

    assert.equal(outbox.messages.length, before + 2);
    const [notice] = outbox.to(existing.email);
    assert.ok(notice, 'the owner of the address is told');
    assert.match(notice.subject, /already have a Hoplink account/);
    assert.ok(notice.text.includes(existing.username), 'it names their username');
    assert.ok(notice.text.includes('https://hop.example.com/accounts/login'));
    assert.ok(notice.text.includes('https://hop.example.com/accounts/password-reset'));
    assert.ok(!notice.text.includes(STRONG), 'the password typed is never echoed');
    const [welcome] = outbox.to(freshEmail);
    assert.equal(welcome?.subject, '[Hoplink] Welcome to Hoplink');

    // Nothing changed for the existing account, and the other username was not taken.
    const [row] = await (await db()).select().from(users).where(eq(users.id, existing.id));
    assert.equal(row?.username, existing.username);
    const made = await (await db()).select().from(users).where(eq(users.username, takenName));
    assert.deepEqual(made, []);
    assert.equal((await logIn(existing.email, existing.password)).statusCode, 303);
    assert.equal((await logIn(freshName, STRONG)).statusCode, 303, 'the new account works');
  });

  test('a taken username is said so: usernames are public in /<username>/<slug>', async () => {
    const existing = await createUser(await db());
    const response = await signUp({
      email: `other-${unique()}@example.com`,
      username: existing.username,
      password: STRONG,
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /id="field-username-error">[^]*This username is taken/);
    assert.doesNotMatch(response.body, /field-email-error/);
  });
});
