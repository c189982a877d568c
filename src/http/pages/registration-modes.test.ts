import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { invitations, users } from '#src/db/schema.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import { createUser, unique, type UserFixture } from '#test/factories.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';
import { until } from '#test/helpers/until.ts';

const ADMIN = '/staff-r3g7';
const INVITATIONS = `${ADMIN}/invitations`;
const SITE = 'https://hop.example.com';
const STRONG = 'violet kettle under seven lamps';
const INVITATION_LINK =
  /^https:\/\/hop\.example\.com\/accounts\/register\?invitation=([A-Za-z0-9_-]{43})$/m;
const NO_LONGER_WORKS = /This invitation no longer works: it was used, withdrawn, or it expired/;

let ipSequence = 0;
/** A fresh client address per browser, so the sign-up limits of one test never touch another. */
const freshIp = () => {
  ipSequence += 1;
  return `10.77.${Math.floor(ipSequence / 250) % 250}.${(ipSequence % 250) + 1}`;
};

const db = async () => (await sharedDatabase()).db;
const staffUser = async (): Promise<UserFixture> => createUser(await db(), { isStaff: true });

function outboxOf(t: TestApp): MemoryOutbox {
  assert.ok(t.container.emailSender instanceof MemoryOutbox, 'tests send mail to the outbox');
  return t.container.emailSender;
}

async function userWithEmail(email: string) {
  const [row] = await (
    await db()
  )
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`);
  return row ?? null;
}

/** The page without its request id, the one part that differs between two 404s. */
function withoutRequestId(response: LightMyRequestResponse): string {
  return response.body.replaceAll(String(response.headers['x-request-id']), '');
}

/** Staff invite `email` through the staff page; returns the token of the link emailed. */
async function invite(t: TestApp, staff: TestBrowser, email: string): Promise<string> {
  const page = await staff.get(INVITATIONS);
  assert.equal(page.statusCode, 200, page.body.slice(0, 300));
  const posted = await staff.post(INVITATIONS, { email });
  assert.equal(posted.statusCode, 303, posted.body.slice(0, 2000));
  assert.equal(posted.headers.location, INVITATIONS);
  const [message] = outboxOf(t).to(email).slice(-1);
  assert.ok(message, `an invitation email went to ${email}`);
  assert.equal(message.subject, '[Hoplink] You are invited to Hoplink');
  const token = INVITATION_LINK.exec(message.text)?.[1];
  assert.ok(token, message.text);
  assert.ok(message.html.includes(`href="${SITE}/accounts/register?invitation=${token}"`));
  return token;
}

/**
 * A browser that has seen a form, so it holds a CSRF token even when the page it opens next has
 * none (a refusal): what is refused is then the request, never the missing token.
 */
async function visitorWithToken(t: TestApp): Promise<TestBrowser> {
  const visitor = new TestBrowser(t.app, { ip: freshIp() });
  await visitor.get('/accounts/login');
  assert.ok(visitor.csrfToken);
  return visitor;
}

/** A visitor opening an invitation's link and submitting the form with it. */
async function signUpInvited(t: TestApp, token: string, username: string) {
  const visitor = await visitorWithToken(t);
  const form = await visitor.get(`/accounts/register?invitation=${token}`);
  const posted = await visitor.post('/accounts/register', {
    invitation: token,
    // The address comes from the invitation, whatever the form sends.
    email: `someone-else-${unique()}@example.com`,
    username,
    password: STRONG,
  });
  return { visitor, form, posted };
}

/** What every refused sign-up must leave behind: no account, no email to the address. */
async function assertNothingCreated(t: TestApp, email: string) {
  assert.equal(await userWithEmail(email), null, `no account for ${email}`);
  assert.deepEqual(outboxOf(t).to(email), [], `no email to ${email}`);
}

describe('REGISTRATION_MODE=closed', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ REGISTRATION_MODE: 'closed', ADMIN_PATH: ADMIN, SITE_URL: SITE });
  });
  after(() => t.close());

  test('the sign-up page says sign-ups are closed (403) and no page offers "Sign up"', async () => {
    const visitor = new TestBrowser(t.app, { ip: freshIp() });
    const page = await visitor.get('/accounts/register');
    assert.equal(page.statusCode, 403);
    assertCspSafe(page.body, 'closed sign-up page');
    assert.match(page.body, /<h1>Sign-up is closed<\/h1>/);
    assert.match(page.body, /accounts are made by the people who run this site/);
    assert.doesNotMatch(page.body, /name="password"/, 'no form to fill in');
    for (const path of ['/', '/accounts/login', '/accounts/register', '/no-such-page-here']) {
      const response = await visitor.get(path);
      assert.doesNotMatch(response.body, /href="\/accounts\/register/, path);
      assert.doesNotMatch(response.body, />Sign up</, path);
    }
  });

  test('a sign-up posted anyway is refused with the same page and creates nothing', async () => {
    const visitor = await visitorWithToken(t);
    const email = `closed-${unique()}@example.com`;
    const posted = await visitor.post('/accounts/register', {
      email,
      username: `closed_${unique()}`.slice(0, 30),
      password: STRONG,
    });
    assert.equal(posted.statusCode, 403);
    assert.match(posted.body, /<h1>Sign-up is closed<\/h1>/);
    assert.doesNotMatch(String(posted.headers['set-cookie'] ?? ''), /hoplink_session/);
    await assertNothingCreated(t, email);
  });

  test('staff still make accounts by invitation', async () => {
    const staff = await loginBrowser(t.app, await staffUser());
    const email = `closed-invitee-${unique()}@example.com`;
    const token = await invite(t, staff, email);
    const { posted } = await signUpInvited(t, token, `inv_${unique()}`.slice(0, 30));
    assert.equal(posted.statusCode, 303, posted.body.slice(0, 2000));
    assert.ok(await userWithEmail(email));
  });
});

describe('REGISTRATION_MODE=invite', () => {
  let t: TestApp;
  let staff: TestBrowser;
  before(async () => {
    t = await buildTestApp({ REGISTRATION_MODE: 'invite', ADMIN_PATH: ADMIN, SITE_URL: SITE });
    staff = await loginBrowser(t.app, await staffUser());
  });
  after(() => t.close());

  test('without an invitation the sign-up page and its POST are refused; nothing offers it', async () => {
    const visitor = await visitorWithToken(t);
    const page = await visitor.get('/accounts/register');
    assert.equal(page.statusCode, 403);
    assertCspSafe(page.body, 'invitation-only sign-up page');
    assert.match(page.body, /<h1>Sign-up is by invitation<\/h1>/);
    assert.doesNotMatch((await visitor.get('/')).body, /href="\/accounts\/register/);
    const email = `uninvited-${unique()}@example.com`;
    const posted = await visitor.post('/accounts/register', {
      email,
      username: `uninvited_${unique()}`.slice(0, 30),
      password: STRONG,
    });
    assert.equal(posted.statusCode, 403);
    assert.match(posted.body, /New accounts need an invitation here/);
    await assertNothingCreated(t, email);
  });

  test('staff invite an address; its link opens the form with the address fixed; it works once', async () => {
    const email = `Invitee-${unique()}@Example.com`;
    const token = await invite(t, staff, email);
    const list = await staff.get(INVITATIONS);
    assertCspSafe(list.body, 'invitations page');
    assert.match(list.body, /Invitation sent to invitee-[^<]*@example\.com/i);
    assert.equal(list.headers['cache-control'], 'no-store');
    assert.ok(!list.body.includes(token), 'the staff page never shows a token');

    const username = `invitee_${unique()}`.slice(0, 30);
    const { visitor, form, posted } = await signUpInvited(t, token, username);
    assert.equal(form.statusCode, 200);
    assertCspSafe(form.body, 'invited sign-up form');
    assert.match(
      form.body,
      /<input[^>]*name="email"[^>]*value="Invitee-[^"]*@Example\.com"[^>]*readonly/,
    );
    assert.match(form.body, new RegExp(`name="invitation" value="${token}"`));
    // The invitee is signed in at once, on the address of the invitation.
    assert.equal(posted.statusCode, 303, posted.body.slice(0, 2000));
    assert.equal(posted.headers.location, '/');
    const home = await visitor.get('/');
    assert.match(home.body, new RegExp(`Welcome, ${username}: your account is ready\\.`));
    assert.match(home.body, /action="\/links"/, 'the shorten form: signed in');
    const row = await userWithEmail(email);
    assert.ok(row, 'the account exists');
    assert.equal(row.username, username);
    assert.ok(row.emailVerifiedAt instanceof Date, 'confirmed by construction');
    assert.equal(row.isStaff, false);
    const [invitation] = await (
      await db()
    )
      .select()
      .from(invitations)
      .where(sql`lower(${invitations.email}) = lower(${email})`);
    assert.equal(invitation?.usedBy, row.id);
    assert.match((await staff.get(INVITATIONS)).body, new RegExp(`>used</span> by ${username}`));

    // Twice: the page and the form refuse with the one message, and nothing more is created.
    const again = await signUpInvited(t, token, `second_${unique()}`.slice(0, 30));
    assert.equal(again.form.statusCode, 400);
    assert.match(again.form.body, NO_LONGER_WORKS);
    assert.equal(again.posted.statusCode, 400);
    assert.match(again.posted.body, NO_LONGER_WORKS);
    const count = await (
      await db()
    )
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.email}) = lower(${email})`);
    assert.equal(count.length, 1);
  });

  test('a revoked invitation, an unknown one and a replaced one get the same friendly refusal', async () => {
    const email = `revoked-${unique()}@example.com`;
    const token = await invite(t, staff, email);
    const [row] = await (
      await db()
    )
      .select({ id: invitations.id })
      .from(invitations)
      .where(eq(invitations.email, email));
    assert.ok(row);
    const revoked = await staff.post(`${INVITATIONS}/${row.id}/revoke`);
    assert.equal(revoked.statusCode, 303);
    const list = await staff.get(INVITATIONS);
    assert.match(list.body, /is revoked: its link no longer works/);
    assert.match(list.body, />revoked<\/span>/);
    const attempt = await signUpInvited(t, token, `revoked_${unique()}`.slice(0, 30));
    assert.equal(attempt.form.statusCode, 400);
    assert.match(attempt.form.body, NO_LONGER_WORKS);
    assert.equal(attempt.posted.statusCode, 400);
    assert.match(attempt.posted.body, NO_LONGER_WORKS);
    assert.equal(await userWithEmail(email), null);

    const unknown = await new TestBrowser(t.app).get('/accounts/register?invitation=abc');
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.body, NO_LONGER_WORKS);

    // Inviting the address again is how staff resend: the older link stops working.
    const first = await invite(t, staff, email);
    const second = await invite(t, staff, email);
    const older = await new TestBrowser(t.app).get(`/accounts/register?invitation=${first}`);
    assert.match(older.body, NO_LONGER_WORKS);
    const newer = await new TestBrowser(t.app).get(`/accounts/register?invitation=${second}`);
    assert.equal(newer.statusCode, 200);
  });

  test('the form keeps the invitation usable after a refusal, and refuses an address with an account', async () => {
    const taken = await createUser(await db());
    const email = `retry-${unique()}@example.com`;
    const token = await invite(t, staff, email);
    const clash = await signUpInvited(t, token, taken.username);
    assert.equal(clash.posted.statusCode, 400);
    assert.match(clash.posted.body, /This username is taken; choose another\./);
    assert.match(clash.posted.body, new RegExp(`name="invitation" value="${token}"`));
    assert.equal(await userWithEmail(email), null);

    const refused = await staff.post(INVITATIONS, { email: taken.email.toUpperCase() });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /An account with this email address already exists\./);
    const malformed = await staff.post(INVITATIONS, { email: 'not an address' });
    assert.equal(malformed.statusCode, 400);
    assert.match(malformed.body, /<p class="field-error" id="field-email-error">/);
  });

  test('the invitations page is a 404 to a signed-in user who is not staff, before any CSRF check', async () => {
    const browser = await loginBrowser(t.app, await createUser(await db()));
    const missing = await browser.get(`${ADMIN}-nothing-here`);
    const page = await browser.get(INVITATIONS);
    assert.equal(page.statusCode, 404);
    assert.equal(withoutRequestId(page), withoutRequestId(missing));
    const posted = await browser.post(INVITATIONS, { email: 'x@example.com' }, { csrf: null });
    assert.equal(posted.statusCode, 404);
    const anonymous = await new TestBrowser(t.app).get(INVITATIONS);
    assert.equal(anonymous.statusCode, 303, 'anonymous visitors are asked to log in');
  });
});

describe('an invitation past INVITATION_TTL', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({
      REGISTRATION_MODE: 'invite',
      INVITATION_TTL: '2s',
      ADMIN_PATH: ADMIN,
      SITE_URL: SITE,
    });
  });
  after(() => t.close());

  test('is refused with the same friendly message, and staff see it expired', async () => {
    const staff = await loginBrowser(t.app, await staffUser());
    const email = `expired-${unique()}@example.com`;
    const token = await invite(t, staff, email);
    await until(
      async () =>
        NO_LONGER_WORKS.test(
          (await new TestBrowser(t.app).get(`/accounts/register?invitation=${token}`)).body,
        ),
      'the invitation to expire',
    );
    const attempt = await signUpInvited(t, token, `late_${unique()}`.slice(0, 30));
    assert.equal(attempt.posted.statusCode, 400);
    assert.match(attempt.posted.body, NO_LONGER_WORKS);
    assert.equal(await userWithEmail(email), null);
    const list = await staff.get(INVITATIONS);
    assert.match(list.body, />expired<\/span>/);
    assert.match(list.body, /It works once, for 2 seconds/);
  });
});
