import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { apiTokens, links, passwordResetTokens, users } from '#src/db/schema.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import { createLink, createUser, type UserFixture } from '#test/factories.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';

// Every form of the site, sent what no browser sends: a field twice (the wrong type: a list
// where text is due), text over the limit, a control character. Each answer is a 400 page
// naming the field, and nothing changes. Shape problems come back on the form itself; control
// characters are refused for every route before any form is read (input-text plugin): the
// error page lists them.

const db = async () => (await sharedDatabase()).db;
let ip = 0;
const freshIp = () => {
  ip += 1;
  return `10.93.${Math.floor(ip / 250) % 250}.${(ip % 250) + 1}`;
};

function headingOf(body: string): string {
  return (/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(body)?.[1] ?? '').replace(/<[^>]+>/g, '').trim();
}

function fieldErrorOf(body: string, field: string): string | undefined {
  return new RegExp(
    `id="field-${field}-error"><span class="visually-hidden">Error: </span>([^<]*)<`,
  ).exec(body)?.[1];
}

async function userCount(): Promise<number> {
  const [row] = await (await db()).select({ n: count() }).from(users);
  return row?.n ?? 0;
}

/** A snapshot of the rows a form could change, to compare before and after. */
async function rowsOf(user: UserFixture) {
  const database = await db();
  return {
    user: await database.select().from(users).where(eq(users.id, user.id)),
    links: await database.select().from(links).where(eq(links.ownerId, user.id)),
    tokens: await database.select().from(apiTokens).where(eq(apiTokens.userId, user.id)),
    resets: await database
      .select()
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.userId, user.id)),
  };
}

interface FormCase {
  readonly name: string;
  /** The page's heading when the form comes back. */
  readonly heading: string;
  /** A valid submission, before it is spoiled. */
  readonly form: (user: UserFixture) => Record<string, string>;
  /** The field spoiled. */
  readonly field: string;
  readonly signedIn: boolean;
}

describe('a malformed form is a 400 naming the field, and changes nothing', () => {
  let t: TestApp;
  let outbox: MemoryOutbox;
  before(async () => {
    t = await buildTestApp({ SITE_URL: 'https://hop.example.com' });
    assert.ok(t.container.emailSender instanceof MemoryOutbox);
    outbox = t.container.emailSender;
  });
  after(() => t.close());

  /** The path of a live reset link for the user, through the real reset form. */
  async function resetPath(user: UserFixture): Promise<string> {
    const visitor = new TestBrowser(t.app, { ip: freshIp() });
    await visitor.get('/accounts/password-reset');
    await visitor.post('/accounts/password-reset', { email: user.email });
    const text = outbox.to(user.email).at(-1)?.text ?? '';
    const link = /https:\/\/hop\.example\.com(\/accounts\/reset\/[A-Za-z0-9_-]+)/.exec(text)?.[1];
    assert.ok(link, 'a reset link was sent');
    return link;
  }

  const cases: (FormCase & { readonly path: (user: UserFixture) => string | Promise<string> })[] = [
    {
      name: 'sign-up',
      path: () => '/accounts/register',
      heading: 'Create your account',
      form: () => ({
        email: 'new@example.com',
        username: 'newcomer',
        password: 'violet kettle under lamps',
      }),
      field: 'email',
      signedIn: false,
    },
    {
      name: 'login',
      path: () => '/accounts/login',
      heading: 'Log in',
      form: (user) => ({ login: user.email, password: user.password }),
      field: 'login',
      signedIn: false,
    },
    {
      name: 'password reset request',
      path: () => '/accounts/password-reset',
      heading: 'Reset your password',
      form: (user) => ({ email: user.email }),
      field: 'email',
      signedIn: false,
    },
    {
      name: 'new password (reset link)',
      path: resetPath,
      heading: 'Choose a new password',
      form: () => ({ newPassword: 'violet kettle under seven lamps' }),
      field: 'newPassword',
      signedIn: false,
    },
    {
      name: 'profile',
      path: () => '/accounts/profile',
      heading: 'Your profile',
      form: (user) => ({ email: `moved-${user.email}`, username: user.username }),
      field: 'email',
      signedIn: true,
    },
    {
      name: 'password change',
      path: () => '/accounts/profile/password',
      heading: 'Your profile',
      form: (user) => ({
        currentPassword: user.password,
        newPassword: 'violet kettle under lamps',
      }),
      field: 'newPassword',
      signedIn: true,
    },
    {
      name: 'new link',
      path: () => '/links',
      heading: 'New link',
      form: () => ({ url: 'https://example.com/new', title: 'New' }),
      field: 'title',
      signedIn: true,
    },
    {
      name: 'link edit',
      path: async (user) =>
        `/links/${(await createLink(await db(), { ownerId: user.id, title: 'Kept' })).id}/edit`,
      heading: 'Edit Kept',
      form: () => ({ url: 'https://example.com/changed', title: 'Changed', redirectStatus: '301' }),
      field: 'url',
      signedIn: true,
    },
    {
      name: 'API token',
      path: () => '/settings/tokens',
      heading: 'API tokens',
      form: () => ({ name: 'deploy', scopes: 'links:read' }),
      field: 'name',
      signedIn: true,
    },
  ];

  const spoilers = [
    {
      what: 'the field sent twice',
      spoil: (value: string) => [value, value],
      answer: 'form',
      message: 'Enter this field once, as text.',
    },
    {
      what: 'text over 4096 characters',
      spoil: () => 'x'.repeat(4097),
      answer: 'form',
      message: 'Use at most 4096 characters.',
    },
    {
      what: 'a NUL character',
      spoil: (value: string) => `${value}\u0000`,
      answer: 'error page',
      message: 'U+0000',
    },
  ] as const;

  for (const form of cases) {
    for (const spoiler of spoilers) {
      test(`${form.name}: ${spoiler.what}`, async () => {
        const user = await createUser(await db());
        const browser = form.signedIn
          ? await loginBrowser(t.app, user)
          : new TestBrowser(t.app, { ip: freshIp() });
        const path = await form.path(user);
        await browser.get(form.signedIn ? '/accounts/profile' : '/accounts/login');
        const valid = form.form(user);
        const before = await rowsOf(user);
        const usersBefore = await userCount();

        const response = await browser.post(path, {
          ...valid,
          [form.field]: spoiler.spoil(valid[form.field] ?? ''),
        });

        assert.equal(response.statusCode, 400, response.body.slice(0, 400));
        assert.match(String(response.headers['content-type']), /^text\/html/);
        if (spoiler.answer === 'form') {
          assert.equal(headingOf(response.body), form.heading);
          assert.equal(fieldErrorOf(response.body, form.field), spoiler.message);
        } else {
          assert.equal(headingOf(response.body), 'Bad request');
          assert.match(response.body, new RegExp(`<li data-field="${form.field}">`));
          assert.ok(response.body.includes(spoiler.message), spoiler.message);
        }
        assert.deepEqual(await rowsOf(user), before, 'nothing changed');
        assert.equal(await userCount(), usersBefore, 'no account was made');
        if (!form.signedIn) {
          assert.equal(browser.cookies.has('hoplink_session'), false, 'not signed in');
        }
      });
    }
  }

  test('too many scopes ticked is refused on the scopes field', async () => {
    const user = await createUser(await db());
    const browser = await loginBrowser(t.app, user);
    await browser.get('/settings/tokens');
    const response = await browser.post('/settings/tokens', {
      name: 'greedy',
      scopes: Array.from({ length: 11 }, () => 'links:read'),
    });
    assert.equal(response.statusCode, 400);
    assert.equal(fieldErrorOf(response.body, 'scopes'), 'Choose at most 10.');
    assert.match(response.body, /value="greedy"/, 'the name is kept');
    assert.deepEqual((await rowsOf(user)).tokens, []);
  });
});
