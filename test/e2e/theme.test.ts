import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { BROWSER, launchBrowser, openPage } from '#test/helpers/browser.ts';
import { startServer, type ServeProcess } from '#test/helpers/spawn-server.ts';

// A real development server (assets built live) and headless Chromium.
describe('theme and copy, in a browser', BROWSER, () => {
  let server: ServeProcess;
  let browser: Browser;
  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  });
  after(async () => {
    // Either is missing when before() failed.
    await (browser as Browser | undefined)?.close();
    await (server as ServeProcess | undefined)?.stop();
  });

  // Browser-side code is passed as strings: the server's TypeScript program has no DOM types.
  const theme = (page: Page) => page.locator('html').getAttribute('data-theme');
  const saved = (page: Page) =>
    page.evaluate<string | null>(`localStorage.getItem('hoplink-theme')`);
  const background = (page: Page) =>
    page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
  const toggle = (page: Page) => page.locator('[data-theme-toggle]');
  /** The toggle as assistive technology finds it: its accessible name says the current choice. */
  const toggleNamed = (page: Page, choice: string) =>
    page.getByRole('button', { name: `Colour theme: ${choice}`, exact: true });
  // Locators, not waitForFunction: a string predicate is eval, which the CSP (rightly) blocks.
  const announced = async (page: Page) => {
    const region = page.locator('#announcer').filter({ hasText: /\S/ });
    await region.waitFor({ state: 'attached' });
    return (await region.textContent()) ?? '';
  };

  test('the toggle cycles, applies at once, and is remembered across reloads', async () => {
    const { page, close } = await openPage(browser, { colorScheme: 'light' });
    await page.goto(`${server.url}/`);
    assert.equal(await theme(page), null, 'no choice yet: follows the system');
    assert.equal(await saved(page), null);
    const light = await background(page);
    await toggle(page).waitFor({ state: 'visible' });
    assert.ok(await toggleNamed(page, 'Auto').isVisible());

    await toggle(page).click();
    assert.equal(await theme(page), 'dark', 'first click: the opposite of the system theme');
    assert.equal(await saved(page), 'dark');
    assert.notEqual(await background(page), light, 'the colours changed');
    assert.equal(await announced(page), 'Theme: Dark');
    assert.ok(await toggleNamed(page, 'Dark').isVisible());

    await page.reload();
    assert.equal(await theme(page), 'dark', 'remembered after a reload');
    assert.ok(await toggleNamed(page, 'Dark').isVisible());

    await toggle(page).click();
    assert.equal(await theme(page), 'light');
    assert.equal(await saved(page), 'light');
    await page.reload();
    assert.equal(await theme(page), 'light');

    await toggle(page).click();
    assert.equal(await theme(page), null, 'back to automatic');
    assert.equal(await saved(page), null);
    await page.reload();
    assert.equal(await theme(page), null);
    await close();
  });

  test('the saved theme is applied by theme.js in <head>, before app.js runs', async () => {
    const { page, close } = await openPage(browser, { colorScheme: 'light' });
    await page.goto(`${server.url}/`);
    await page.evaluate(`localStorage.setItem('hoplink-theme', 'dark')`);
    // Hold app.js back: whatever sets the theme meanwhile is theme.js.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/static/app.js', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${server.url}/`, { waitUntil: 'commit' });
    await page.locator('body').waitFor({ state: 'attached' });
    assert.equal(await theme(page), 'dark');
    release();
    await page.waitForLoadState('load');
    await close();
  });

  test('with a dark system theme the first click goes light', async () => {
    const { page, close } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${server.url}/`);
    await toggle(page).click();
    assert.equal(await theme(page), 'light');
    await close();
  });

  test('without JavaScript the page is styled and the toggle is hidden', async () => {
    const { page, close } = await openPage(browser, {
      colorScheme: 'dark',
      javaScriptEnabled: false,
    });
    await page.goto(`${server.url}/`);
    assert.equal(await toggle(page).isVisible(), false);
    // The system's dark preference still applies, through CSS alone.
    assert.equal(await background(page), 'rgb(13, 18, 16)');
    await close();
  });

  test('a copy button copies its text and says so', async () => {
    const { context, page, close } = await openPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.goto(`${server.url}/`);
    // Any [data-copy] button works, including ones added after load (one listener on document).
    await page.evaluate(`{
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.copy = 'http://localhost:8000/aZ3kP9q';
      button.innerHTML = '<span data-copy-label>Copy</span>';
      document.querySelector('main').append(button);
    }`);
    await page.locator('button[data-copy]').click();
    assert.equal(await announced(page), 'Copied http://localhost:8000/aZ3kP9q to the clipboard');
    assert.equal(await page.locator('button[data-copy]').innerText(), 'Copied');
    assert.equal(
      await page.evaluate<string>('navigator.clipboard.readText()'),
      'http://localhost:8000/aZ3kP9q',
    );
    await close();
  });
});
