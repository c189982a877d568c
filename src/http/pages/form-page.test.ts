import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorHandlerPlugin } from '#src/http/plugins/error-handler.ts';
import { AppError, NotFoundError, RateLimitedError, ValidationError } from '#src/lib/errors.ts';
import { html } from '#src/lib/html.ts';
import { LinkConflictError } from '#src/modules/links/index.ts';
import { field, formPage } from './form-page.ts';
import { errorPage } from './views/error-page.ts';
import { zodValidatorCompiler } from './zod-validation.ts';

const Form = z.object({
  name: field.text(20),
  note: field.optionalText(),
  shared: field.checkbox(),
  tags: field.choices(2),
  next: field.next(),
});
type Form = z.output<typeof Form>;

/** What the fake service is told to do next, and what it was called with. */
let outcome: () => Promise<string>;
let calls: { values: Form; id: string }[];

/**
 * A bare scope with what pages have (form parsing, the site's zod validator, the HTML error
 * handler) and one form route whose service is a fake; the page shows the values and errors it
 * was given as JSON, so the tests can read them back.
 */
async function fakeSite(): Promise<FastifyInstance> {
  const app = Fastify();
  app.decorate('assetUrl', (name: string) => `/static/${name}`);
  app.decorateRequest('user', null);
  app.decorateRequest('csrfToken', () => 'csrf');
  app.decorateRequest('takeFlashes', () => []);
  await app.register(errorHandlerPlugin, { debug: false, format: 'html', renderPage: errorPage });
  await app.register(formbody);
  app.setValidatorCompiler(zodValidatorCompiler);
  app.post(
    '/things/:id',
    formPage({
      body: Form,
      params: z.object({ id: z.string().max(8) }),
      submit: async (values, request) => {
        calls.push({ values, id: request.params.id });
        return outcome();
      },
      success: (result, reply, values) =>
        reply.redirect(`/done/${result}?next=${values.next}`, 303),
      render: (request, state) => ({
        title: `Thing ${request.params.id}`,
        body: html`<pre id="state">${JSON.stringify(state)}</pre>`,
      }),
    }),
  );
  return app;
}

function post(app: FastifyInstance, payload: string, url = '/things/t1', type?: string) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': type ?? 'application/x-www-form-urlencoded' },
    payload,
  });
}

/** The state the page was rendered with. */
function stateOf(body: string): { values: Partial<Form>; errors: unknown[] } {
  const json = /<pre id="state">([^<]*)<\/pre>/.exec(body)?.[1];
  assert.ok(json, `a form page, not: ${body.slice(0, 300)}`);
  return JSON.parse(json.replaceAll('&quot;', '"').replaceAll('&amp;', '&')) as {
    values: Partial<Form>;
    errors: unknown[];
  };
}

describe('formPage', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await fakeSite();
  });
  after(() => app.close());
  beforeEach(() => {
    calls = [];
    outcome = () => Promise.resolve('ok');
  });

  test('a valid form reaches the service parsed, and success answers', async () => {
    const response = await post(app, 'name=Ann&shared=1&tags=a&next=/links&_csrf=x');
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/done/ok?next=/links');
    assert.deepEqual(calls, [
      {
        id: 't1',
        values: { name: 'Ann', shared: true, tags: ['a'], next: '/links' },
      },
    ]);
  });

  test('absent fields read as blank, unticked, none, or home; repeated choices as a list', async () => {
    await post(app, 'tags=a&tags=b&next=//evil.example');
    assert.deepEqual(calls[0]?.values, {
      name: '',
      shared: false,
      tags: ['a', 'b'],
      next: '/',
    });
    // Not a form at all: an empty one, for the service to judge.
    await post(app, '["name"]', '/things/t1', 'application/json');
    assert.deepEqual(calls[1]?.values, { name: '', shared: false, tags: [], next: '/' });
  });

  test('a body that does not parse is the same page, 400, the fields that did parse kept', async () => {
    const response = await post(app, `name=one&name=two&note=kept&tags=a&tags=b&tags=c&next=/x`);
    assert.equal(response.statusCode, 400);
    assert.match(String(response.headers['content-type']), /text\/html/);
    assert.match(response.body, /<title>Thing t1 · Hoplink<\/title>/);
    assert.deepEqual(stateOf(response.body), {
      values: { note: 'kept', shared: false, next: '/x' },
      errors: [
        { field: 'name', message: 'Enter this field once, as text.' },
        { field: 'tags', message: 'Choose at most 2.' },
      ],
    });
    const long = await post(app, `name=${'x'.repeat(21)}`);
    assert.equal(long.statusCode, 400);
    assert.deepEqual(stateOf(long.body).errors, [
      { field: 'name', message: 'Use at most 20 characters.' },
    ]);
    assert.deepEqual(calls, [], 'the service never ran');
  });

  const refusals = [
    {
      name: 'field errors (400)',
      error: new ValidationError('Some fields need attention.', [
        { field: 'name', message: 'Taken.' },
      ]),
      status: 400,
      errors: [{ field: 'name', message: 'Taken.' }],
    },
    {
      name: 'a conflict (409)',
      error: new LinkConflictError([{ field: 'name', message: 'Already taken.' }]),
      status: 409,
      errors: [{ field: 'name', message: 'Already taken.' }],
    },
    {
      name: 'wrong credentials, no field (400)',
      error: new AppError('invalid_credentials', 400, 'No match.'),
      status: 400,
      errors: [{ message: 'No match.' }],
    },
    {
      name: 'too many attempts (429)',
      error: new RateLimitedError('Wait.'),
      status: 429,
      errors: [{ message: 'Wait.' }],
    },
  ];
  for (const refusal of refusals) {
    test(`a refusal the visitor can fix: ${refusal.name}, the values sent shown again`, async () => {
      outcome = () => Promise.reject(refusal.error);
      const response = await post(app, 'name=Ann&shared=on');
      assert.equal(response.statusCode, refusal.status);
      assert.deepEqual(stateOf(response.body), {
        values: { name: 'Ann', shared: true, tags: [], next: '/' },
        errors: refusal.errors,
      });
    });
  }

  test('a refusal that knows when to come back says so (Retry-After)', async () => {
    outcome = () =>
      Promise.reject(Object.assign(new RateLimitedError('Wait.'), { retryAfterSeconds: 42 }));
    const response = await post(app, 'name=Ann');
    assert.equal(response.statusCode, 429);
    assert.equal(response.headers['retry-after'], '42');
  });

  test('anything else is the error handler’s page, not the form', async () => {
    outcome = () => Promise.reject(new NotFoundError());
    const missing = await post(app, 'name=Ann');
    assert.equal(missing.statusCode, 404);
    assert.doesNotMatch(missing.body, /id="state"/);

    outcome = () => Promise.reject(new Error('database on fire'));
    const broken = await post(app, 'name=Ann');
    assert.equal(broken.statusCode, 500);
    assert.doesNotMatch(broken.body, /id="state"|on fire/);
  });

  test('params that do not parse are a 400 error page; the service never runs', async () => {
    const response = await post(app, 'name=Ann', '/things/far-too-long');
    assert.equal(response.statusCode, 400);
    assert.doesNotMatch(response.body, /id="state"/);
    assert.match(response.body, /data-field="id"/);
    assert.deepEqual(calls, []);
  });
});
