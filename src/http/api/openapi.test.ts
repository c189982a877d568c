import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';

type Json = Record<string, unknown>;

/** Every `$ref` in the document, so each can be checked to resolve. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') found.push(child);
      else refsIn(child, found);
    }
  }
  return found;
}

function resolve(document: Json, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), ref);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], document);
}

describe('/api/v1/openapi.json', () => {
  let t: TestApp;
  let document: Json;
  before(async () => {
    t = await buildTestApp({ SITE_URL: 'https://hop.example' });
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    assert.equal(response.statusCode, 200, 'public: no token needed');
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    document = JSON.parse(response.body) as Json;
  });
  after(() => t.close());

  test('is OpenAPI 3.1 with a bearer security scheme and the site as server', () => {
    assert.match(String(document.openapi), /^3\.1\.\d+$/);
    assert.deepEqual(document.servers, [{ url: 'https://hop.example' }]);
    const components = document.components as Json;
    assert.deepEqual((components.securitySchemes as Json).bearer, {
      type: 'http',
      scheme: 'bearer',
      description: ((components.securitySchemes as Json).bearer as Json).description as string,
    });
  });

  test('lists every route with its method, scope and error responses', () => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    const operations = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(operations.sort(), [
      'DELETE /api/v1/links/{id}',
      'GET /api/v1/links',
      'GET /api/v1/links/{id}',
      'GET /api/v1/links/{id}/stats',
      'GET /api/v1/me',
      'GET /api/v1/me/export/clicks.csv',
      'GET /api/v1/me/export/clicks.json',
      'GET /api/v1/me/export/links.csv',
      'GET /api/v1/me/export/links.json',
      'GET /api/v1/openapi.json',
      'PATCH /api/v1/links/{id}',
      'POST /api/v1/links',
    ]);
    const create = paths['/api/v1/links']?.post as Json;
    assert.deepEqual(create.security, [{ bearer: ['links:write'] }]);
    assert.deepEqual(Object.keys(create.responses as Json).sort(), [
      '201',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '429',
    ]);
    assert.ok(create.requestBody);
    const list = paths['/api/v1/links']?.get as Json;
    assert.deepEqual(list.security, [{ bearer: ['links:read'] }]);
    const limit = (list.parameters as Json[]).find((parameter) => parameter.name === 'limit');
    assert.deepEqual(limit, {
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    });
    const stats = paths['/api/v1/links/{id}/stats']?.get as Json;
    const params = (stats.parameters as Json[]).map(
      (parameter) => `${String(parameter.in)}:${String(parameter.name)}`,
    );
    assert.deepEqual(params, ['path:id', 'query:days']);
    assert.ok((stats.responses as Json)['404']);
    assert.deepEqual((paths['/api/v1/openapi.json']?.get as Json).security, []);
    assert.ok(((paths['/api/v1/links/{id}']?.delete as Json).responses as Json)['204']);
  });

  test('the link schema has exactly the contract’s fields; errors have their shape', () => {
    const schemas = (document.components as Json).schemas as Record<string, Json>;
    const link = schemas.Link as { properties: Json; required: string[] };
    const contract = [
      'code',
      'createdAt',
      'disabled',
      'id',
      'redirectStatus',
      'shortUrl',
      'slug',
      'title',
      'url',
    ];
    assert.deepEqual(Object.keys(link.properties).sort(), contract);
    assert.deepEqual([...link.required].sort(), contract);
    assert.deepEqual(Object.keys((schemas.NewLink as { properties: Json }).properties).sort(), [
      'code',
      'redirectStatus',
      'slug',
      'title',
      'url',
    ]);
    assert.deepEqual((schemas.NewLink as { required: string[] }).required, ['url']);
    assert.equal(schemas.NewLink?.additionalProperties, false, 'unknown fields are refused');
    assert.ok('disabled' in (schemas.LinkPatch as { properties: Json }).properties);
    assert.deepEqual(Object.keys((schemas.Me as { properties: Json }).properties).sort(), [
      'email',
      'id',
      'username',
    ]);
    const error = (
      schemas.Error as { properties: { error: { properties: Json; required: string[] } } }
    ).properties.error;
    assert.deepEqual(Object.keys(error.properties).sort(), [
      'code',
      'details',
      'message',
      'requestId',
    ]);
    assert.deepEqual([...error.required].sort(), ['code', 'message', 'requestId']);
  });

  test('every $ref resolves inside the document', () => {
    const refs = refsIn(document);
    assert.ok(refs.length > 10);
    for (const ref of refs) assert.ok(resolve(document, ref), `${ref} resolves`);
  });
});
