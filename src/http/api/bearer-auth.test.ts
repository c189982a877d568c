import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { apiTokens, links } from '#src/db/schema.ts';
import { createApiToken, createUser } from '#test/factories.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';

interface ApiError {
  error: { code: string; message: string; requestId: string };
}

describe('/api/v1 bearer tokens', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  const me = (headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: '/api/v1/me', headers });

  async function linkCount(ownerId: string): Promise<number> {
    const [row] = await (
      await sharedDatabase()
    ).db
      .select({ n: count() })
      .from(links)
      .where(eq(links.ownerId, ownerId));
    return row?.n ?? 0;
  }

  test('GET /me names the token’s user, with exactly id, email and username', async () => {
    const user = await createUser((await sharedDatabase()).db, { isStaff: true });
    // Any valid token may ask who it is, whatever its scopes.
    const { authorization } = await createApiToken(t.container.apiTokens, user.id, ['links:read']);
    const response = await me({ authorization });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { id: user.id, email: user.email, username: user.username });
    assert.equal(response.headers['set-cookie'], undefined, 'the API sets no cookies');
  });

  test('missing, malformed, unknown and revoked tokens are 401 with WWW-Authenticate', async () => {
    const user = await createUser((await sharedDatabase()).db);
    const { token, id } = await createApiToken(t.container.apiTokens, user.id);
    assert.equal((await me({ authorization: `Bearer ${token}` })).statusCode, 200);

    const cases: [string, Record<string, string>, RegExp][] = [
      ['missing', {}, /^Bearer realm="hoplink"$/],
      ['another scheme', { authorization: `Basic ${token}` }, /^Bearer realm="hoplink"$/],
      ['no token', { authorization: 'Bearer' }, /^Bearer realm="hoplink"$/],
      // The last character swapped for one it cannot already be, so the token always differs.
      [
        'unknown',
        { authorization: `Bearer ${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}` },
        /error="invalid_token"/,
      ],
      ['garbage', { authorization: 'Bearer hop_nope' }, /error="invalid_token"/],
    ];
    for (const [name, headers, challenge] of cases) {
      const response = await me(headers);
      assert.equal(response.statusCode, 401, name);
      assert.match(String(response.headers['www-authenticate']), challenge, name);
      const body = response.json<ApiError>();
      assert.equal(body.error.code, 'unauthorized', name);
      assert.equal(body.error.requestId, response.headers['x-request-id'], name);
      assert.ok(!response.body.includes(token), `${name}: the token is not echoed`);
    }

    await t.container.apiTokens.revoke(user.id, id);
    const revoked = await me({ authorization: `Bearer ${token}` });
    assert.equal(revoked.statusCode, 401, 'revoked through the service: refused on the next call');
    assert.match(String(revoked.headers['www-authenticate']), /error="invalid_token"/);
  });

  test('a signed-in browser’s session cookie is not accepted by the API', async () => {
    const user = await createUser((await sharedDatabase()).db);
    const browser = await loginBrowser(t.app, user);
    const page = await browser.get('/settings/tokens');
    assert.equal(page.statusCode, 200, 'the cookie works on pages');
    const api = await browser.get('/api/v1/me');
    assert.equal(api.statusCode, 401);
    const write = await browser.post('/api/v1/links', { url: 'https://example.com/' });
    assert.equal(write.statusCode, 401, 'refused before the body is read');
    assert.equal(await linkCount(user.id), 0);
  });

  test('a read-only token may read but not write: 403 insufficient_scope, nothing changed', async () => {
    const user = await createUser((await sharedDatabase()).db);
    const writer = await createApiToken(t.container.apiTokens, user.id, ['links:write']);
    const reader = await createApiToken(t.container.apiTokens, user.id, ['links:read']);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/links',
      headers: { authorization: writer.authorization },
      payload: { url: 'https://example.com/scoped' },
    });
    assert.equal(created.statusCode, 201);
    const { id } = created.json<{ id: string }>();

    const read = await t.app.inject({
      method: 'GET',
      url: `/api/v1/links/${id}`,
      headers: { authorization: reader.authorization },
    });
    assert.equal(read.statusCode, 200);
    const writeOnlyRead = await t.app.inject({
      method: 'GET',
      url: '/api/v1/links',
      headers: { authorization: writer.authorization },
    });
    assert.equal(writeOnlyRead.statusCode, 403, 'GET needs links:read');

    const before = await linkCount(user.id);
    const attempts = [
      { method: 'POST' as const, url: '/api/v1/links', payload: { url: 'https://example.com/' } },
      { method: 'PATCH' as const, url: `/api/v1/links/${id}`, payload: { disabled: true } },
      { method: 'DELETE' as const, url: `/api/v1/links/${id}` },
    ];
    for (const attempt of attempts) {
      const response = await t.app.inject({
        ...attempt,
        headers: { authorization: reader.authorization },
      });
      assert.equal(response.statusCode, 403, attempt.method);
      assert.equal(response.json<ApiError>().error.code, 'insufficient_scope');
      assert.match(
        String(response.headers['www-authenticate']),
        /error="insufficient_scope", scope="links:write"/,
      );
    }
    assert.equal(await linkCount(user.id), before);
    const unchanged = await t.app.inject({
      method: 'GET',
      url: `/api/v1/links/${id}`,
      headers: { authorization: reader.authorization },
    });
    assert.equal(unchanged.json<{ disabled: boolean }>().disabled, false);
  });

  test('using a token records when it was last used', async () => {
    const user = await createUser((await sharedDatabase()).db);
    const { authorization, id } = await createApiToken(t.container.apiTokens, user.id);
    const lastUsed = async () =>
      (
        await (
          await sharedDatabase()
        ).db
          .select({ at: apiTokens.lastUsedAt })
          .from(apiTokens)
          .where(eq(apiTokens.id, id))
      )[0]?.at;
    assert.equal(await lastUsed(), null);
    await me({ authorization });
    const at = await lastUsed();
    assert.ok(at instanceof Date && Date.now() - at.getTime() < 60_000);
  });
});
