import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EXPORT_COLUMNS } from '#src/modules/analytics/index.ts';
import { createApiToken } from '#test/factories.ts';
import { csvObjects } from '#test/helpers/csv.ts';
import { seedExportUser, storedData, type ExportFixture } from '#test/helpers/export-fixtures.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { ExportedClickSchema, ExportedLinkSchema } from './export.schemas.ts';

type Json = Record<string, unknown>;

describe('/api/v1/me/export', () => {
  let t: TestApp;
  let owner: ExportFixture;
  let other: ExportFixture;
  let reader: string;

  before(async () => {
    t = await buildTestApp({ SITE_URL: 'https://hop.example' });
    const db = t.container.database.db;
    owner = await seedExportUser(db, 12);
    other = await seedExportUser(db, 3);
    reader = (await createApiToken(t.container.apiTokens, owner.user.id, ['links:read']))
      .authorization;
  });
  after(() => t.close());

  const get = (url: string, authorization?: string) =>
    t.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });

  test('JSON: the caller’s links and clicks, in the documented shapes, and nobody else’s', async () => {
    const stored = await storedData(t.container.database.db, owner.user.id);
    const links = await get('/api/v1/me/export/links.json', reader);
    assert.equal(links.statusCode, 200, links.body);
    assert.match(String(links.headers['content-type']), /^application\/json; charset=utf-8/);
    assert.match(
      String(links.headers['content-disposition']),
      new RegExp(
        `^attachment; filename="hoplink-${owner.user.username}-links-\\d{4}-\\d{2}-\\d{2}\\.json"$`,
      ),
    );
    const linkItems = ExportedLinkSchema.array().parse(JSON.parse(links.body));
    assert.deepEqual(
      linkItems.map((link) => link.code).sort(),
      stored.links.map((link) => link.code).sort(),
    );

    const clicks = await get('/api/v1/me/export/clicks.json', reader);
    assert.equal(clicks.statusCode, 200, clicks.body);
    const clickItems = ExportedClickSchema.array().parse(JSON.parse(clicks.body));
    assert.equal(clickItems.length, stored.clicks.length);
    assert.equal(clickItems.length, 24);
    const everything = links.body + clicks.body;
    for (const link of other.links) assert.ok(!everything.includes(link.code), link.code);
  });

  test('CSV: the same columns, a header row first', async () => {
    for (const dataset of ['links', 'clicks'] as const) {
      const response = await get(`/api/v1/me/export/${dataset}.csv`, reader);
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.headers['content-type'], 'text/csv; charset=utf-8; header=present');
      const { header, rows } = csvObjects(response.body);
      assert.deepEqual(header, [...EXPORT_COLUMNS[dataset]]);
      assert.equal(rows.length, dataset === 'links' ? 4 : 24);
    }
  });

  test('without a token 401; a token that may not read links 403', async () => {
    const anonymous = await get('/api/v1/me/export/clicks.csv');
    assert.equal(anonymous.statusCode, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Bearer /);
    assert.equal((JSON.parse(anonymous.body) as { error: Json }).error.code, 'unauthorized');

    const writer = await createApiToken(t.container.apiTokens, owner.user.id, ['links:write']);
    for (const file of ['links.csv', 'links.json', 'clicks.csv', 'clicks.json']) {
      const refused = await get(`/api/v1/me/export/${file}`, writer.authorization);
      assert.equal(refused.statusCode, 403, file);
      assert.equal((JSON.parse(refused.body) as { error: Json }).error.code, 'insufficient_scope');
    }
  });

  test('the OpenAPI document declares each download with its media type', async () => {
    const document = JSON.parse((await get('/api/v1/openapi.json')).body) as {
      paths: Record<string, { get: Json }>;
      components: { schemas: Json };
    };
    for (const [file, mediaType] of [
      ['links.csv', 'text/csv'],
      ['links.json', 'application/json'],
      ['clicks.csv', 'text/csv'],
      ['clicks.json', 'application/json'],
    ] as const) {
      const operation = document.paths[`/api/v1/me/export/${file}`]?.get;
      assert.ok(operation, file);
      assert.deepEqual(operation.security, [{ bearer: ['links:read'] }]);
      const ok = (operation.responses as Record<string, Json>)['200'] ?? {};
      assert.deepEqual(Object.keys(ok.content as Json), [mediaType], file);
      assert.ok((ok.headers as Json)['Content-Disposition'], file);
    }
    assert.deepEqual(
      Object.keys((document.components.schemas.ExportedClick as { properties: Json }).properties),
      [...EXPORT_COLUMNS.clicks],
    );
    assert.deepEqual(
      Object.keys((document.components.schemas.ExportedLink as { properties: Json }).properties),
      [...EXPORT_COLUMNS.links],
    );
  });
});
