import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { createApiToken, createUser } from '#test/factories.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { findForbiddenText, inputTextPlugin } from './input-text.ts';

interface Refusal {
  readonly code: string;
  readonly details: { field: string; message: string }[];
}

describe('findForbiddenText', () => {
  test('names nested fields by their dotted path, keys included, in document order', () => {
    const problems = findForbiddenText({
      title: 'fine',
      tags: ['ok', 'bad\u0000'],
      nested: { deeper: { note: '\u001b[2J' } },
      'a\u0000b': 'fine',
    });
    assert.deepEqual(
      problems.map((problem) => problem.field),
      ['a\\u0000b', 'tags.1', 'nested.deeper.note'],
    );
    assert.match(problems[0]?.message ?? '', /^its name contains a control character \(U\+0000\)/);
  });

  test('a body that is a bare string is named "body"; numbers and booleans are not text', () => {
    assert.deepEqual(
      findForbiddenText('\u0000').map((problem) => problem.field),
      ['body'],
    );
    assert.deepEqual(findForbiddenText({ n: 1, b: true, z: null, u: undefined }), []);
  });

  test('stops at 20 problems, and survives nesting far deeper than the call stack', () => {
    const many = Object.fromEntries(
      Array.from({ length: 1000 }, (_, index) => [`f${index}`, '\u0000']),
    );
    assert.equal(findForbiddenText(many).length, 20);
    let deep: unknown = '\u0000';
    for (let depth = 0; depth < 200_000; depth += 1) deep = [deep];
    assert.equal(findForbiddenText(deep).length, 1);
  });
});

describe('inputTextPlugin on a small Fastify instance', () => {
  let app: FastifyInstance;
  let handled = 0;
  before(async () => {
    app = Fastify();
    app.setErrorHandler(
      (error: { statusCode?: number; code?: string; details?: unknown }, _r, reply) =>
        reply.code(error.statusCode ?? 500).send({ code: error.code, details: error.details }),
    );
    await app.register(formbody);
    const echo = (request: { body: unknown; query: unknown }) => {
      handled += 1;
      return { body: request.body ?? null, query: request.query };
    };
    // As build-server.ts does: registered inside a scope, it guards that scope's routes only.
    await app.register(async (scope) => {
      await scope.register(inputTextPlugin);
      scope.post('/echo', echo);
      scope.get('/echo', echo);
      scope.get('/items/:id', (request) => {
        handled += 1;
        return request.params;
      });
      // A schema that would refuse the value too: ours must answer first, naming the character.
      scope.post(
        '/strict',
        {
          schema: {
            body: { type: 'object', properties: { name: { type: 'string', maxLength: 2 } } },
          },
        },
        echo,
      );
    });
    await app.register((other, _options, done) => {
      other.get('/other', (request) => request.query);
      done();
    });
  });
  after(() => app.close());

  async function refusal(request: InjectOptions): Promise<Refusal> {
    const before = handled;
    const response = await app.inject(request);
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(handled, before, 'the handler did not run');
    return response.json<Refusal>();
  }

  const refused: [string, string][] = [
    ['NUL', '\u0000'],
    ['SOH', '\u0001'],
    ['BS', '\u0008'],
    ['VT', '\u000b'],
    ['FF', '\u000c'],
    ['ESC', '\u001b'],
    ['US', '\u001f'],
    ['DEL', '\u007f'],
    ['NEL (C1)', '\u0085'],
    ['U+009F (C1)', '\u009f'],
    ['U+FFFE', '\ufffe'],
    ['U+FFFF', '\uffff'],
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', '\udc00'],
    ['a pair in the wrong order', '\udc00\ud800'],
  ];
  for (const [name, char] of refused) {
    test(`${name} in a JSON body is refused, naming the field`, async () => {
      const body = await refusal({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ title: `a${char}b` }),
      });
      assert.equal(body.code, 'validation_failed');
      assert.deepEqual(
        body.details.map((detail) => detail.field),
        ['title'],
      );
      assert.match(body.details[0]?.message ?? '', /^contains an? [a-z ]+ \(U\+[0-9A-F]{4}\)/);
    });
  }

  test('TAB, LF, CR and any other text (accents, CJK, emoji, RTL) pass untouched', async () => {
    const text = 'tab\there\r\nline two · café 日本 🎉 ‏עברית‎ \u00a0\ufeff';
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: { title: text, list: [text] },
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json<{ body: unknown }>().body, { title: text, list: [text] });
  });

  test('a form field (urlencoded, repeated keys) is refused by name', async () => {
    const body = await refusal({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=ok&scopes=a&scopes=b%00',
    });
    assert.deepEqual(
      body.details.map((detail) => detail.field),
      ['scopes.1'],
    );
  });

  test('the query string and route params are walked too', async () => {
    const query = await refusal({ url: '/echo?q=a%00b&page=2' });
    assert.deepEqual(
      query.details.map((detail) => detail.field),
      ['q'],
    );
    const params = await refusal({ url: '/items/%00' });
    assert.deepEqual(
      params.details.map((detail) => detail.field),
      ['id'],
    );
  });

  test('a text/plain body (a bare string) is refused as "body"', async () => {
    const body = await refusal({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'text/plain' },
      payload: 'plain\u0000text',
    });
    assert.deepEqual(
      body.details.map((detail) => detail.field),
      ['body'],
    );
  });

  test('it runs before the route schema: the answer names the character, not the length', async () => {
    const body = await refusal({ method: 'POST', url: '/strict', payload: { name: 'abc\u0000' } });
    assert.match(body.details[0]?.message ?? '', /U\+0000/);
  });

  test('a sibling scope that does not register it is not affected', async () => {
    const response = await app.inject({ url: '/other?q=a%01b' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { q: 'a\u0001b' });
  });
});

// Through the real app: which scopes carry the plugin (build-server.ts registers it).
describe('inputTextPlugin in the real app', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  test('the site scope refuses with its 400 page, naming the field', async () => {
    const user = await createUser((await sharedDatabase()).db);
    const browser = await loginBrowser(t.app, user);
    const response = await browser.get('/links?q=%01');
    assert.equal(response.statusCode, 400);
    assert.match(String(response.headers['content-type']), /text\/html/);
    assert.match(response.body, /data-field="q"/);
  });

  test('the API scope refuses with its JSON error', async () => {
    const user = await createUser((await sharedDatabase()).db);
    const { authorization } = await createApiToken(t.container.apiTokens, user.id);
    const response = await t.app.inject({
      url: '/api/v1/links?q=%01',
      headers: { host: 'localhost', authorization },
    });
    assert.equal(response.statusCode, 400);
    const { error } = response.json<{ error: Refusal & { requestId: string } }>();
    assert.equal(error.code, 'validation_failed');
    assert.deepEqual(
      error.details.map((detail) => detail.field),
      ['q'],
    );
    assert.match(error.requestId, /\S/);
  });

  test('the API still answers an anonymous caller 401 first: no token, no field names', async () => {
    const response = await t.app.inject({
      url: '/api/v1/links?q=%00',
      headers: { host: 'localhost' },
    });
    assert.equal(response.statusCode, 401);
  });

  test('the redirect (root scope) does not run it: a bad code is the plain 404', async () => {
    const response = await t.app.inject({ url: '/ab%01cd', headers: { host: 'localhost' } });
    assert.equal(response.statusCode, 404);
  });
});
