import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUser } from '#test/factories.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';

describe('the home page', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  test('signed out: the pitch, with sign up and log in, and no shorten form', async () => {
    const response = await t.app.inject({ url: '/', headers: { host: 'localhost' } });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /<h1>Short links that tell you who clicked<\/h1>/);
    assert.match(
      response.body,
      /class="button button-primary" href="\/accounts\/register">Sign up</,
    );
    assert.match(response.body, /class="button button-secondary" href="\/accounts\/login">Log in</);
    assert.doesNotMatch(response.body, /action="\/links"/);
    assertCspSafe(response.body, 'landing page');
  });

  test('signed in: the shorten form posts url, code and the CSRF token to /links', async () => {
    const user = await createUser((await sharedDatabase()).db);
    const browser = await loginBrowser(t.app, user);
    const response = await browser.get('/');
    assert.equal(response.statusCode, 200);
    const page = response.body;
    assertCspSafe(page, 'home page');
    assert.match(page, /<h1>Shorten a link<\/h1>/);
    assert.match(page, new RegExp(`>${user.username}</a>`), 'the header names the user');

    const form =
      /<form method="post" action="\/links" class="form" novalidate>([\s\S]*?)<\/form>/.exec(
        page,
      )?.[1];
    assert.ok(form, 'a POST form to /links');
    const token = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(form)?.[1];
    assert.ok(token, 'the form carries a CSRF token');
    assert.match(form, /<label for="field-url">Long URL<\/label>/);
    assert.match(
      form,
      /<input id="field-url" name="url" type="url"[^>]* required [^>]*aria-describedby="field-url-hint">/,
    );
    assert.match(
      form,
      /<label for="field-code">Custom code <span class="optional">\(optional\)<\/span><\/label>/,
    );
    assert.match(form, /<input id="field-code" name="code" type="text"/);
    assert.match(form, /<button type="submit" class="button button-primary">Shorten<\/button>/);
    // The form's token is one this session accepts (POST /links belongs to the links pages).
    const logout = await browser.post('/accounts/logout', {}, { csrf: token });
    assert.equal(logout.statusCode, 303);
  });
});
