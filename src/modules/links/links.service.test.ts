import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { links, users } from '#src/db/schema.ts';
import { AppError } from '#src/lib/errors.ts';
import { createLink, createUser, unique, type UserFixture } from '#test/factories.ts';
import {
  createTestDatabase,
  describeEachDatabase,
  type TestDatabase,
} from '#test/helpers/database.ts';
import type { LinkAddresses } from './link-changes.ts';
import { createLinksRepository } from './links.repository.ts';
import {
  createLinksService,
  type LinksService,
  type LinksServiceDependencies,
} from './links.service.ts';

/** Asserts an AppError with this code and (when given) exactly these field messages. */
async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  fields?: Record<string, RegExp>,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code, error.message);
    if (fields) {
      const details = error.details as { field: string; message: string }[];
      assert.deepEqual(details.map((issue) => issue.field).sort(), Object.keys(fields).sort());
      for (const issue of details) assert.match(issue.message, fields[issue.field]!);
    }
    return true;
  });
}

await describeEachDatabase('links service', (backend) => {
  let database: TestDatabase;
  let clock: Date;
  let published: LinkAddresses[];
  let makeService: (overrides?: Partial<LinksServiceDependencies>) => LinksService;
  let service: LinksService;
  let owner: UserFixture;

  async function linkCount(ownerId: string): Promise<number> {
    const [row] = await database.handle.db
      .select({ n: count() })
      .from(links)
      .where(eq(links.ownerId, ownerId));
    return row?.n ?? -1;
  }

  before(async () => {
    database = await createTestDatabase(backend);
    clock = new Date('2030-06-01T12:00:00Z');
    published = [];
    makeService = (overrides = {}) =>
      createLinksService({
        repository: createLinksRepository(database.handle.db),
        siteUrl: 'https://hop.example',
        allowedHosts: ['hop.example', 'localhost'],
        defaultRedirectStatus: 302,
        changes: { publish: (addresses) => published.push(addresses) },
        now: () => clock,
        ...overrides,
      });
    service = makeService();
    owner = await createUser(database.handle.db);
  });
  after(() => database.drop());

  test('creates a link with a generated code and the default status', async () => {
    const user = await createUser(database.handle.db);
    const link = await service.create(user.id, { url: ' https://Example.com/a b ' });
    assert.match(link.code, /^[0-9A-Za-z]{7}$/);
    assert.equal(link.targetUrl, 'https://example.com/a%20b');
    assert.equal(link.redirectStatus, 302);
    assert.equal(link.slug, null);
    assert.equal(link.title, null);
    assert.equal(link.disabled, false);
    assert.equal(await linkCount(user.id), 1);
    assert.deepEqual(published.at(-1), { codes: [link.code], slugs: [] });
  });

  test('creates a link with alias, slug, title, status and expiry; blank optionals are absent', async () => {
    const user = await createUser(database.handle.db);
    const alias = `Promo-${unique()}`;
    const link = await service.create(user.id, {
      url: 'http://example.com/',
      code: alias,
      slug: 'spring-sale',
      title: '  Spring sale ',
      redirectStatus: '301',
      expiresAt: '2030-07-01T00:00:00Z',
    });
    assert.equal(link.code, alias);
    assert.equal(link.slug, 'spring-sale');
    assert.equal(link.title, 'Spring sale');
    assert.equal(link.redirectStatus, 301);
    assert.deepEqual(link.expiresAt, new Date('2030-07-01T00:00:00Z'));
    assert.deepEqual(published.at(-1), {
      codes: [alias],
      slugs: [{ username: user.username, slug: 'spring-sale' }],
    });

    const plain = await service.create(user.id, {
      url: 'https://example.com/',
      code: '',
      slug: ' ',
      title: '',
    });
    assert.match(plain.code, /^[0-9A-Za-z]{7}$/);
    assert.equal(plain.slug, null);
  });

  test('the default status comes from REDIRECT_STATUS', async () => {
    const link = await makeService({ defaultRedirectStatus: 308 }).create(owner.id, {
      url: 'https://example.com/',
    });
    assert.equal(link.redirectStatus, 308);
  });

  const badInputs = [
    ['invalid URL', { url: 'not a url' }, { url: /valid URL/ }],
    ['javascript: URL', { url: 'javascript:alert(document.cookie)' }, { url: /Only http/ }],
    ['data: URL', { url: 'data:text/html;base64,PHNjcmlwdD4=' }, { url: /Only http/ }],
    ['ftp: URL', { url: 'ftp://example.com/file' }, { url: /Only http/ }],
    [
      'URL with credentials',
      { url: 'https://bob:pw@example.com/' },
      { url: /user name or password/ },
    ],
    ['URL to this site', { url: 'https://HOP.example/abc' }, { url: /this site itself/ }],
    ['URL to an allowed host', { url: 'http://localhost:8000/x' }, { url: /this site itself/ }],
    [
      'URL over 2048 characters',
      { url: `https://example.com/${'x'.repeat(2030)}` },
      { url: /2048/ },
    ],
    ['missing URL', { url: '' }, { url: /Enter the URL/ }],
    ['reserved alias', { url: 'https://example.com/', code: 'Admin' }, { code: /reserved/ }],
    [
      'reserved alias (upper case)',
      { url: 'https://example.com/', code: 'API' },
      { code: /reserved/ },
    ],
    [
      'alias with invalid characters',
      { url: 'https://example.com/', code: 'a b.c' },
      { code: /3 to 64/ },
    ],
    ['alias too short', { url: 'https://example.com/', code: 'ab' }, { code: /3 to 64/ }],
    ['slug with capitals', { url: 'https://example.com/', slug: 'My-Post' }, { slug: /lowercase/ }],
    [
      'unknown status',
      { url: 'https://example.com/', redirectStatus: 303 },
      { redirectStatus: /301, 302/ },
    ],
    [
      'past expiry',
      { url: 'https://example.com/', expiresAt: '2030-05-01T00:00:00Z' },
      { expiresAt: /future/ },
    ],
    [
      'several bad fields at once',
      { url: 'ftp://x', code: '!!', slug: 'A B', title: 'x'.repeat(201) },
      { url: /Only http/, code: /3 to 64/, slug: /lowercase/, title: /200/ },
    ],
  ] as const;
  for (const [what, input, fields] of badInputs) {
    test(`refuses ${what} with a field error and inserts nothing`, async () => {
      const user = await createUser(database.handle.db);
      await rejectsWith(service.create(user.id, input), 'validation_failed', fields);
      assert.equal(await linkCount(user.id), 0);
    });
  }

  test('the admin segment (reservedWords) is refused as a code in any case, on create and update', async () => {
    const guarded = makeService({ reservedWords: ['staff-q8w2'] });
    const user = await createUser(database.handle.db);
    for (const code of ['staff-q8w2', 'STAFF-Q8W2']) {
      await rejectsWith(
        guarded.create(user.id, { url: 'https://example.com/', code }),
        'validation_failed',
        { code: /reserved/ },
      );
    }
    assert.equal(await linkCount(user.id), 0);
    const link = await guarded.create(user.id, { url: 'https://example.com/' });
    await rejectsWith(
      guarded.update(user.id, link.id, { code: 'Staff-Q8w2' }),
      'validation_failed',
      {
        code: /reserved/,
      },
    );
    assert.equal((await guarded.get(user.id, link.id)).code, link.code);
    // Without the setting the same alias is an ordinary one.
    assert.equal(
      (await service.create(user.id, { url: 'https://example.com/', code: 'staff-q8w2' })).code,
      'staff-q8w2',
    );
  });

  test('a taken alias is a 409 conflict on the code field; aliases are case-sensitive', async () => {
    const alias = `Taken${unique()}`;
    await service.create(owner.id, { url: 'https://example.com/1', code: alias });
    const other = await createUser(database.handle.db);
    await rejectsWith(
      service.create(other.id, { url: 'https://example.com/2', code: alias }),
      'conflict',
      { code: /already taken/ },
    );
    assert.equal(await linkCount(other.id), 0);
    const lower = await service.create(other.id, {
      url: 'https://example.com/3',
      code: alias.toLowerCase(),
    });
    assert.equal(lower.code, alias.toLowerCase());
  });

  test('a slug is unique per owner, and free for another owner', async () => {
    const first = await createUser(database.handle.db);
    const second = await createUser(database.handle.db);
    await service.create(first.id, { url: 'https://example.com/1', slug: 'docs' });
    await rejectsWith(
      service.create(first.id, { url: 'https://example.com/2', slug: 'docs' }),
      'conflict',
      { slug: /already use this slug/ },
    );
    assert.equal(await linkCount(first.id), 1);
    const theirs = await service.create(second.id, { url: 'https://example.com/3', slug: 'docs' });
    assert.equal(theirs.slug, 'docs');
  });

  test('a generated code that collides is drawn again', async () => {
    const existing = await createLink(database.handle.db, { code: `Col${unique()}`.slice(0, 7) });
    const codes = [existing.code, 'api', `Fr${unique()}`.slice(0, 7)];
    const retrying = makeService({ generateCode: () => codes.shift() ?? 'unused' });
    const link = await retrying.create(owner.id, { url: 'https://example.com/' });
    assert.notEqual(link.code, existing.code);
    assert.notEqual(link.code, 'api', 'reserved words are never generated');
    assert.equal(codes.length, 0);
  });

  test('another owner gets NotFoundError from get, update and remove; nothing changes', async () => {
    const link = await service.create(owner.id, { url: 'https://example.com/mine', title: 'Mine' });
    const stranger = await createUser(database.handle.db);
    await rejectsWith(service.get(stranger.id, link.id), 'not_found');
    await rejectsWith(service.update(stranger.id, link.id, { title: 'Stolen' }), 'not_found');
    await rejectsWith(service.update(stranger.id, link.id, { disabled: true }), 'not_found');
    await rejectsWith(service.remove(stranger.id, link.id), 'not_found');
    await rejectsWith(service.get(owner.id, 'not-a-uuid'), 'not_found');
    await rejectsWith(service.get(owner.id, '00000000-0000-4000-8000-000000000000'), 'not_found');
    const unchanged = await service.get(owner.id, link.id);
    assert.equal(unchanged.title, 'Mine');
    assert.equal(unchanged.disabled, false);
  });

  test('update edits fields, disables, clears optionals and announces old and new addresses', async () => {
    const user = await createUser(database.handle.db);
    const link = await service.create(user.id, {
      url: 'https://example.com/old',
      slug: 'old-slug',
      title: 'Old',
      expiresAt: '2030-07-01T00:00:00Z',
    });
    const alias = `New${unique()}`;
    const updated = await service.update(user.id, link.id, {
      url: 'https://example.com/new',
      code: alias,
      slug: 'new-slug',
      redirectStatus: 307,
      disabled: true,
    });
    assert.equal(updated.targetUrl, 'https://example.com/new');
    assert.equal(updated.code, alias);
    assert.equal(updated.slug, 'new-slug');
    assert.equal(updated.title, 'Old');
    assert.equal(updated.redirectStatus, 307);
    assert.equal(updated.disabled, true);
    assert.deepEqual(published.at(-1), {
      codes: [link.code, alias],
      slugs: [
        { username: user.username, slug: 'old-slug' },
        { username: user.username, slug: 'new-slug' },
      ],
    });

    const cleared = await service.update(user.id, link.id, {
      slug: null,
      title: '',
      expiresAt: null,
      code: '',
    });
    assert.equal(cleared.slug, null);
    assert.equal(cleared.title, null);
    assert.equal(cleared.expiresAt, null);
    assert.equal(cleared.code, alias, 'a blank code keeps the current one');
    const enabled = await service.update(user.id, link.id, { disabled: false });
    assert.equal(enabled.disabled, false);
  });

  test('update refuses bad fields and taken addresses, leaving the link as it was', async () => {
    const user = await createUser(database.handle.db);
    const taken = await service.create(user.id, { url: 'https://example.com/a', slug: 'taken' });
    const link = await service.create(user.id, { url: 'https://example.com/b' });
    await rejectsWith(
      service.update(user.id, link.id, { url: 'javascript:void(0)', code: 'links' }),
      'validation_failed',
      {
        url: /Only http/,
        code: /reserved/,
      },
    );
    await rejectsWith(service.update(user.id, link.id, { code: taken.code }), 'conflict', {
      code: /taken/,
    });
    await rejectsWith(service.update(user.id, link.id, { slug: 'taken' }), 'conflict', {
      slug: /slug/,
    });
    const same = await service.get(user.id, link.id);
    assert.equal(same.targetUrl, 'https://example.com/b');
    assert.equal(same.code, link.code);
    assert.equal(same.slug, null);
    // Keeping one's own code is not a conflict.
    assert.equal((await service.update(user.id, link.id, { code: link.code })).code, link.code);
  });

  test('remove deletes the link and announces its addresses', async () => {
    const user = await createUser(database.handle.db);
    const link = await service.create(user.id, { url: 'https://example.com/', slug: 'gone' });
    await service.remove(user.id, link.id);
    assert.equal(await linkCount(user.id), 0);
    assert.deepEqual(published.at(-1), {
      codes: [link.code],
      slugs: [{ username: user.username, slug: 'gone' }],
    });
    await rejectsWith(service.remove(user.id, link.id), 'not_found');
  });

  test('list pages through every link once, newest first, even within one timestamp', async () => {
    const user = await createUser(database.handle.db);
    const sameMoment = new Date('2020-01-01T00:00:00.123Z');
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      ids.push(
        (await createLink(database.handle.db, { ownerId: user.id, createdAt: sameMoment })).id,
      );
    }
    for (let i = 0; i < 3; i += 1)
      ids.push((await service.create(user.id, { url: `https://example.com/${i}` })).id);
    await createLink(database.handle.db); // someone else's

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await service.list(user.id, { cursor, limit: 3 });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((link) => link.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    assert.equal(pages, 3);
    assert.equal(seen.length, 7);
    assert.deepEqual(new Set(seen), new Set(ids));
    // The service-created links are newest; the four sharing a timestamp follow, by id descending.
    assert.deepEqual(seen.slice(3), ids.slice(0, 4).sort().reverse());

    const all = await service.list(user.id);
    assert.equal(all.items.length, 7);
    assert.equal(all.nextCursor, null);
  });

  test('list searches title, code and target case-insensitively; % and _ are literal', async () => {
    const user = await createUser(database.handle.db);
    const byTitle = await service.create(user.id, {
      url: 'https://a.example/',
      title: 'Quarterly REPORT',
    });
    const byCode = await service.create(user.id, {
      url: 'https://b.example/',
      code: `ReportX${unique()}`,
    });
    const byTarget = await service.create(user.id, {
      url: 'https://c.example/report_2030',
    });
    await service.create(user.id, { url: 'https://d.example/', title: 'Unrelated' });
    const found = await service.list(user.id, { q: ' report ' });
    assert.deepEqual(
      new Set(found.items.map((link) => link.id)),
      new Set([byTitle.id, byCode.id, byTarget.id]),
    );
    assert.deepEqual(
      (await service.list(user.id, { q: 't_2' })).items.map((link) => link.id),
      [byTarget.id],
    );
    // As wildcards, `_` would match the dot of a.example and `%` anything at all.
    assert.deepEqual(
      (await service.list(user.id, { q: 'a_example' })).items.map((link) => link.id),
      [],
    );
    assert.deepEqual(
      (await service.list(user.id, { q: '%' })).items.map((link) => link.id),
      [],
    );
    const stranger = await createUser(database.handle.db);
    assert.deepEqual((await service.list(stranger.id, { q: 'report' })).items, []);
  });

  test('list refuses a forged cursor and a limit out of range', async () => {
    await rejectsWith(service.list(owner.id, { cursor: 'garbage' }), 'validation_failed', {
      cursor: /not valid/,
    });
    const forged = Buffer.from(JSON.stringify(["2030-01-01'; drop table links; --", 'x'])).toString(
      'base64url',
    );
    await rejectsWith(service.list(owner.id, { cursor: forged }), 'validation_failed', {
      cursor: /not valid/,
    });
    await rejectsWith(service.list(owner.id, { limit: 0 }), 'validation_failed', {
      limit: /1 to 100/,
    });
    await rejectsWith(service.list(owner.id, { limit: 101 }), 'validation_failed', {
      limit: /1 to 100/,
    });
  });

  test('resolve finds live links only', async () => {
    const user = await createUser(database.handle.db);
    const live = await service.create(user.id, {
      url: 'https://example.com/live',
      redirectStatus: 301,
    });
    assert.deepEqual(await service.resolve(live.code), {
      linkId: live.id,
      targetUrl: 'https://example.com/live',
      redirectStatus: 301,
      expiresAt: null,
    });
    const disabled = await service.create(user.id, { url: 'https://example.com/' });
    await service.update(user.id, disabled.id, { disabled: true });
    assert.equal(await service.resolve(disabled.code), null);
    const expiring = await service.create(user.id, {
      url: 'https://example.com/',
      expiresAt: '2030-06-01T13:00:00Z',
    });
    assert.equal((await service.resolve(expiring.code))?.linkId, expiring.id);
    const later = makeService({ now: () => new Date('2030-06-01T13:00:00Z') });
    assert.equal(await later.resolve(expiring.code), null);
    assert.equal(await service.resolve('NoSuchCode'), null);
    assert.equal(
      await service.resolve(live.code.toLowerCase() === live.code ? 'x' : live.code.toLowerCase()),
      null,
    );
    assert.equal(await service.resolve('../etc'), null);
  });

  test('resolveSlug finds /<username>/<slug>, case-insensitively; an inactive owner resolves nothing', async () => {
    const user = await createUser(database.handle.db);
    const link = await service.create(user.id, { url: 'https://example.com/', slug: 'cv' });
    assert.equal((await service.resolveSlug(user.username.toUpperCase(), 'CV'))?.linkId, link.id);
    assert.equal(await service.resolveSlug(owner.username, 'cv'), null);
    await database.handle.db.update(users).set({ isActive: false }).where(eq(users.id, user.id));
    assert.equal(await service.resolveSlug(user.username, 'cv'), null);
    assert.equal(await service.resolve(link.code), null);
  });
});
