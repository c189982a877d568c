import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApiToken, createLink, createUser } from '#test/factories.ts';
import { loginAs } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';

const DAY_MS = 86_400_000;

/** Midnight UTC `days - 1` days before today: where 30 kept days begin. */
function keptFrom(days: number): string {
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - (days - 1) * DAY_MS).toISOString();
}

describe('how far back individual clicks go, on the stats page and in the API', () => {
  const apps: TestApp[] = [];
  let kept: TestApp;
  let forever: TestApp;
  before(async () => {
    kept = await buildTestApp({ CLICK_RETENTION_DAYS: '30' });
    forever = await buildTestApp();
    apps.push(kept, forever);
  });
  after(async () => {
    for (const app of apps) await app.close();
  });

  async function ownLink(t: TestApp) {
    const user = await createUser((await sharedDatabase()).db);
    const link = await createLink((await sharedDatabase()).db, { ownerId: user.id });
    const { authorization } = await createApiToken(t.container.apiTokens, user.id, ['links:read']);
    return { user, link, authorization };
  }

  test('with CLICK_RETENTION_DAYS set, both say from which day clicks are kept', async () => {
    const { user, link, authorization } = await ownLink(kept);
    // Around midnight UTC the day may turn between two requests: both answers are right then.
    const expected = [keptFrom(30), keptFrom(29)];
    const api = await kept.app.inject({
      method: 'GET',
      url: `/api/v1/links/${link.id}/stats`,
      headers: { authorization },
    });
    assert.equal(api.statusCode, 200, api.body);
    const { recentSince } = api.json<{ recentSince: string | null }>();
    assert.ok(expected.includes(recentSince ?? ''), `recentSince ${recentSince}`);

    const page = await kept.app.inject({
      method: 'GET',
      url: `/links/${link.id}`,
      headers: { cookie: await loginAs(kept.app, user) },
    });
    assert.equal(page.statusCode, 200);
    const note =
      /Individual clicks are kept from <time datetime="([^"]+)">(\d{4}-\d{2}-\d{2})<\/time>/.exec(
        page.body,
      );
    assert.ok(note, 'the page has the retention note');
    assert.ok(expected.includes(note[1] ?? ''));
    assert.equal(note[2], note[1]?.slice(0, 10));
  });

  test('kept forever (the default): recentSince is null and the page says nothing of it', async () => {
    const { user, link, authorization } = await ownLink(forever);
    const api = await forever.app.inject({
      method: 'GET',
      url: `/api/v1/links/${link.id}/stats`,
      headers: { authorization },
    });
    assert.equal(api.statusCode, 200, api.body);
    assert.equal(api.json<{ recentSince: string | null }>().recentSince, null);
    const page = await forever.app.inject({
      method: 'GET',
      url: `/links/${link.id}`,
      headers: { cookie: await loginAs(forever.app, user) },
    });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /Individual clicks are kept/);
  });
});
