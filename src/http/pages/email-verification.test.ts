import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { links, users } from '#src/db/schema.ts';
import { applyMigrations, loadMigrations } from '#src/db/migrator.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import { createApiToken, unique } from '#test/factories.ts';
import { createTestDatabase } from '#test/helpers/database.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import {
  buildTestApp,
  sharedBackend,
  sharedDatabase,
  type TestApp,
} from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';
import { until } from '#test/helpers/until.ts';

const SITE = 'https://hop.example.com';
const STRONG = 'violet kettle under seven lamps';
const CONFIRM_LINK =
  /^https:\/\/hop\.example\.com\/accounts\/verify-email\?token=([A-Za-z0-9_-]{43})$/m;
const BANNER = /Confirm your email address to create links\./;
const NO_LONGER_WORKS = /This confirmation link no longer works/;

let ipSequence = 0;
/** A fresh client address per browser, so the limits of one test never touch another. */
const freshIp = () => {
  ipSequence += 1;
  return `10.88.${Math.floor(ipSequence / 250) % 250}.${(ipSequence % 250) + 1}`;
};

const db = async () => (await sharedDatabase()).db;

function outboxOf(t: TestApp): MemoryOutbox {
  assert.ok(t.container.emailSender instanceof MemoryOutbox, 'tests send mail to the outbox');
  return t.container.emailSender;
}

/** The token of the newest confirmation link emailed to `email`. */
function confirmationToken(t: TestApp, email: string): string {
  const message = outboxOf(t).to(email).at(-1);
  assert.ok(message, `an email went to ${email}`);
  assert.equal(message.subject, '[Hoplink] Confirm your email address');
  const token = CONFIRM_LINK.exec(message.text)?.[1];
  assert.ok(token, message.text);
  return token;
}

/** Signs up through the form, then logs in; returns the signed-in browser and the account. */
async function signUpAndLogIn(t: TestApp) {
  const suffix = unique();
  const email = `verify-${suffix}@example.com`;
  const username = `verify_${suffix}`.slice(0, 30);
  const browser = new TestBrowser(t.app, { ip: freshIp() });
  await browser.get('/accounts/register');
  const registered = await browser.post('/accounts/register', {
    email,
    username,
    password: STRONG,
  });
  assert.equal(registered.statusCode, 303, registered.body.slice(0, 2000));
  await browser.get('/accounts/login');
  const login = await browser.post('/accounts/login', { login: email, password: STRONG });
  assert.equal(login.statusCode, 303);
  const [row] = await (await db()).select().from(users).where(eq(users.email, email));
  assert.ok(row);
  return { browser, email, username, id: row.id };
}

async function linkCount(ownerId: string): Promise<number> {
  const rows = await (
    await db()
  )
    .select({ id: links.id })
    .from(links)
    .where(eq(links.ownerId, ownerId));
  return rows.length;
}

describe('EMAIL_VERIFICATION=true', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ EMAIL_VERIFICATION: 'true', SITE_URL: SITE });
  });
  after(() => t.close());

  const api = (authorization: string, url: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/links',
      headers: { host: 'localhost', authorization, 'content-type': 'application/json' },
      payload: JSON.stringify({ url }),
    });

  test('a new account browses but creates no link (form or API) until it follows the emailed link', async () => {
    const { browser, email, id } = await signUpAndLogIn(t);
    assert.deepEqual(
      outboxOf(t)
        .to(email)
        .map((message) => message.subject),
      ['[Hoplink] Confirm your email address'],
      'the confirmation link replaces the welcome email',
    );
    const home = await browser.get('/');
    assert.equal(home.statusCode, 200);
    assertCspSafe(home.body, 'home page with the banner');
    assert.match(home.body, BANNER);
    assert.match(home.body, /action="\/accounts\/verify-email\/resend"/);
    assert.equal((await browser.get('/links')).statusCode, 200, 'browsing works');

    await browser.get('/links/new');
    const refused = await browser.post('/links', { url: 'https://example.com/refused' });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /Confirm your email address before creating links/);
    const { authorization } = await createApiToken(t.container.apiTokens, id);
    const viaApi = await api(authorization, 'https://example.com/refused-too');
    assert.equal(viaApi.statusCode, 403);
    const body = viaApi.json<{ error: { code: string; message: string; requestId: string } }>();
    assert.equal(body.error.code, 'email_unverified');
    assert.equal(body.error.requestId, viaApi.headers['x-request-id']);
    assert.equal(await linkCount(id), 0);

    // The link: a page with one button; confirming it is a POST with the CSRF token.
    const token = confirmationToken(t, email);
    const page = await browser.get(`/accounts/verify-email?token=${token}`);
    assert.equal(page.statusCode, 200);
    assertCspSafe(page.body, 'confirmation page');
    assert.ok(page.body.includes(email));
    const confirmed = await browser.post('/accounts/verify-email', { token });
    assert.equal(confirmed.statusCode, 303);
    assert.equal(confirmed.headers.location, '/');
    const after = await browser.get('/');
    assert.match(after.body, /is confirmed, and you can create links\./);
    assert.doesNotMatch(after.body, BANNER);

    await browser.get('/links/new');
    const created = await browser.post('/links', { url: 'https://example.com/allowed' });
    assert.equal(created.statusCode, 303, created.body.slice(0, 1000));
    assert.equal((await api(authorization, 'https://example.com/allowed-too')).statusCode, 201);
    assert.equal(await linkCount(id), 2);

    // Used once: the link says so and offers a new one.
    const reused = await browser.get(`/accounts/verify-email?token=${token}`);
    assert.equal(reused.statusCode, 400);
    assert.match(reused.body, NO_LONGER_WORKS);
  });

  test('the link confirms the address without signing anyone in', async () => {
    const { email } = await signUpAndLogIn(t);
    const stranger = new TestBrowser(t.app, { ip: freshIp() });
    const token = confirmationToken(t, email);
    await stranger.get(`/accounts/verify-email?token=${token}`);
    const confirmed = await stranger.post('/accounts/verify-email', { token });
    assert.equal(confirmed.statusCode, 303);
    assert.equal(confirmed.headers.location, '/accounts/login');
    assert.doesNotMatch(String(confirmed.headers['set-cookie'] ?? ''), /hoplink_session/);
    const [row] = await (await db()).select().from(users).where(eq(users.email, email));
    assert.ok(row?.emailVerifiedAt instanceof Date);
    const login = await stranger.get('/accounts/login');
    assert.match(login.body, /is confirmed\. Log in to create links\./);
  });

  test('a new link on request, limited per account (429 with Retry-After past three an hour)', async () => {
    const { browser, email } = await signUpAndLogIn(t);
    await browser.get('/accounts/verify-email/resend');
    for (let sent = 1; sent <= 3; sent += 1) {
      const response = await browser.post('/accounts/verify-email/resend', { next: '/links' });
      assert.equal(response.statusCode, 303);
      assert.equal(response.headers.location, '/links');
      assert.equal(outboxOf(t).to(email).length, 1 + sent);
    }
    const page = await browser.get('/links');
    assert.match(page.body, new RegExp(`We sent a new link to ${email}\\.`));
    const limited = await browser.post('/accounts/verify-email/resend');
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.match(limited.body, /Too many attempts/);
    assert.equal(outboxOf(t).to(email).length, 4, 'nothing more was sent');
    // Each link works until one of them is used: the newest confirms.
    const token = confirmationToken(t, email);
    await browser.get(`/accounts/verify-email?token=${token}`);
    assert.equal((await browser.post('/accounts/verify-email', { token })).statusCode, 303);
  });

  test('a new address on the profile waits for confirmation again', async () => {
    const { browser, email, id } = await signUpAndLogIn(t);
    const first = confirmationToken(t, email);
    await browser.get(`/accounts/verify-email?token=${first}`);
    await browser.post('/accounts/verify-email', { token: first });
    assert.doesNotMatch((await browser.get('/accounts/profile')).body, BANNER);

    const moved = `moved-${unique()}@example.com`;
    const saved = await browser.post('/accounts/profile', {
      email: moved,
      username: `moved_${unique()}`.slice(0, 30),
    });
    assert.equal(saved.statusCode, 303);
    assert.match((await browser.get('/links/new')).body, BANNER);
    const refused = await browser.post('/links', { url: 'https://example.com/after-move' });
    assert.equal(refused.statusCode, 403);
    assert.equal(await linkCount(id), 0);
    const token = confirmationToken(t, moved);
    await browser.get(`/accounts/verify-email?token=${token}`);
    assert.equal((await browser.post('/accounts/verify-email', { token })).statusCode, 303);
    assert.doesNotMatch((await browser.get('/')).body, BANNER);
  });

  test('the OpenAPI document declares the refusal on createLink', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/v1/openapi.json',
      headers: { host: 'localhost' },
    });
    type Responses = Partial<Record<string, Record<string, string>>>;
    const document = response.json<{
      paths: Partial<Record<string, Partial<Record<string, { responses: Responses }>>>>;
    }>();
    const forbidden = document.paths['/api/v1/links']?.post?.responses['403'];
    assert.equal(forbidden?.$ref, '#/components/responses/Forbidden');
    assert.match(forbidden.description ?? '', /`email_unverified`/);
    const other = document.paths['/api/v1/links']?.get?.responses['403'];
    assert.deepEqual(other, { $ref: '#/components/responses/Forbidden' }, 'only where it applies');
  });

  test('staff made by createsuperuser are confirmed: they create links at once', async () => {
    const staff = await t.container.users.createSuperuser({
      email: `root-${unique()}@example.com`,
      username: `root_${unique()}`.slice(0, 30),
      password: STRONG,
    });
    assert.equal(staff.emailVerified, true);
    const link = await t.container.links.create(staff.id, { url: 'https://example.com/ok' });
    assert.equal(link.ownerId, staff.id);
  });
});

describe('EMAIL_VERIFICATION off (the default)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ SITE_URL: SITE });
  });
  after(() => t.close());

  test('a sign-up counts as confirmed, so turning verification on later spares it', async () => {
    const { browser, email, id } = await signUpAndLogIn(t);
    assert.deepEqual(
      outboxOf(t)
        .to(email)
        .map((message) => message.subject),
      ['[Hoplink] Welcome to Hoplink'],
    );
    const [row] = await (await db()).select().from(users).where(eq(users.id, id));
    assert.ok(row?.emailVerifiedAt instanceof Date);
    assert.doesNotMatch((await browser.get('/')).body, BANNER);
  });
});

describe('a confirmation link past EMAIL_VERIFICATION_TTL', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({
      EMAIL_VERIFICATION: 'true',
      EMAIL_VERIFICATION_TTL: '2s',
      SITE_URL: SITE,
    });
  });
  after(() => t.close());

  test('is refused, says so and offers a new link, which works', async () => {
    const { browser, email } = await signUpAndLogIn(t);
    const token = confirmationToken(t, email);
    await until(
      async () => (await browser.get(`/accounts/verify-email?token=${token}`)).statusCode === 400,
      'the confirmation link to expire',
    );
    const page = await browser.get(`/accounts/verify-email?token=${token}`);
    assert.match(page.body, NO_LONGER_WORKS);
    assert.match(page.body, /Send a new link/);
    assertCspSafe(page.body, 'expired confirmation link page');
    const posted = await browser.post('/accounts/verify-email', { token });
    assert.equal(posted.statusCode, 400);
    assert.match(posted.body, NO_LONGER_WORKS);
    assert.match((await browser.get('/')).body, BANNER, 'still unconfirmed');

    const resent = await browser.post('/accounts/verify-email/resend');
    assert.equal(resent.statusCode, 303);
    const fresh = confirmationToken(t, email);
    assert.notEqual(fresh, token);
    await browser.get(`/accounts/verify-email?token=${fresh}`);
    assert.equal((await browser.post('/accounts/verify-email', { token: fresh })).statusCode, 303);
  });
});

describe('migration 0004_registration', () => {
  test('marks every account that existed before it as confirmed', async () => {
    const database = await createTestDatabase(sharedBackend(), { migrate: false });
    try {
      const all = loadMigrations();
      const mine = all.findIndex((migration) => migration.name === '0004_registration');
      assert.ok(mine > 0);
      await applyMigrations(database.handle, {}, all.slice(0, mine));
      const [before] = await database.handle.withConnection((connection) =>
        connection.query<{ id: string; created_at: Date }>(
          `insert into users (email, username, password_hash, created_at)
           values ('old@example.com', 'old_timer', 'x', now() - interval '400 days')
           returning id, created_at`,
        ),
      );
      assert.ok(before);
      await applyMigrations(database.handle);
      const [after] = await database.handle.withConnection((connection) =>
        connection.query<{ email_verified_at: Date | null; created_at: Date }>(
          'select email_verified_at, created_at from users where id = $1',
          [before.id],
        ),
      );
      assert.ok(after?.email_verified_at, 'confirmed');
      assert.equal(
        new Date(after.email_verified_at).getTime(),
        new Date(after.created_at).getTime(),
        'as of its creation',
      );
    } finally {
      await database.drop();
    }
  });
});
