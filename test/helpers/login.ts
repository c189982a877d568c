import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { TestBrowser } from './test-browser.ts';

/**
 * Logs a user in through the real pages (GET the form for its CSRF cookie and token, POST the
 * credentials) and returns the browser, which keeps the session cookie and the page's token.
 */
export async function loginBrowser(
  app: FastifyInstance,
  user: { readonly email: string; readonly password: string },
): Promise<TestBrowser> {
  const browser = new TestBrowser(app);
  await browser.get('/accounts/login');
  const response = await browser.post('/accounts/login', {
    login: user.email,
    password: user.password,
  });
  assert.equal(response.statusCode, 303, `login failed: ${response.body.slice(0, 500)}`);
  // A page after login carries the token made from the session's own CSRF secret.
  await browser.get('/accounts/profile');
  return browser;
}

/** As loginBrowser, returning only the `cookie` header to send with later requests. */
export async function loginAs(
  app: FastifyInstance,
  user: { readonly email: string; readonly password: string },
): Promise<string> {
  return (await loginBrowser(app, user)).cookieHeader;
}
