import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { unique } from '#test/factories.ts';
import { BROWSER, launchBrowser, openPage } from '#test/helpers/browser.ts';
import { startServer, type ServeProcess } from '#test/helpers/spawn-server.ts';

// The story of test/e2e/story.test.ts, driven through the UI in headless Chromium against a real
// development server; the short URL leads to a local page, so no outside network is needed.

const ARTIFACTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const PASSWORD = 'violet kettle under seven lamps';
const CLICK_WAIT_MS = 10_000;
// HeadlessChrome's own user agent is (rightly) counted as a bot; the story is a person's.
const PERSON_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

/** Listens on 127.0.0.2: a loopback address that is not one of the service's own hosts. */
function startTarget(): Promise<Server> {
  const target = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><title>Arrived</title><h1>Arrived at ${request.url ?? ''}</h1>`);
  });
  return new Promise((resolve, reject) => {
    target.once('error', reject);
    target.listen(0, '127.0.0.2', () => {
      resolve(target);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

/** The number in the stats page's "Clicks" card. */
const clicksShown = (page: Page) =>
  page.locator('dl.stat', { hasText: 'Clicks' }).locator('dd').first().innerText();

describe('the story in Chromium', BROWSER, () => {
  let server: ServeProcess | undefined;
  let browser: Browser | undefined;
  let target: Server | undefined;
  let siteUrl = '';
  before(async () => {
    const port = await freePort();
    siteUrl = `http://127.0.0.1:${port}`;
    [server, browser, target] = await Promise.all([
      startServer({ env: { SERVER_PORT: String(port), SITE_URL: siteUrl } }),
      launchBrowser(),
      startTarget(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise<void>((resolve) => {
      if (target)
        target.close(() => {
          resolve();
        });
      else resolve();
    });
  });

  test('sign up, log in, shorten, follow, see the click, copy, screenshot, log out', async () => {
    assert.ok(server && browser && target);
    const { context, page, close } = await openPage(browser, { userAgent: PERSON_AGENT });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const suffix = unique();
    const email = `browser-${suffix}@example.com`;
    const username = `browser_${suffix}`.slice(0, 30);

    await page.goto(`${server.url}/accounts/register`);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${server.url}/accounts/register/done`);
    assert.match(await page.locator('h1').innerText(), /Check your email/);

    await page.getByRole('link', { name: 'Log in' }).last().click();
    await page.waitForURL(`${server.url}/accounts/login`);
    await page.getByLabel('Email address or username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.url}/`);
    assert.ok(await page.getByRole('link', { name: username }).isVisible(), 'signed in');

    const { port } = target.address() as AddressInfo;
    const destination = `http://127.0.0.2:${port}/arrived/${suffix}`;
    await page.getByRole('link', { name: 'New link' }).click();
    await page.getByLabel('Long URL').fill(destination);
    await page.getByLabel('Title').fill(`Browser story ${suffix}`);
    await page.getByRole('button', { name: 'Create short link' }).click();
    await page.waitForURL(/\/links\/[^/]+$/);
    const statsUrl = page.url();
    assert.match(await page.locator('body').innerText(), /Short link created: /);
    assert.equal(await clicksShown(page), '0');

    const shortLink = page.locator('.link-card .short-url a').first();
    const shortUrl = (await shortLink.getAttribute('href')) ?? '';
    assert.match(shortUrl, new RegExp(`^${siteUrl}/[A-Za-z0-9_-]{7}$`));

    // The copy button beside the short URL puts it on the clipboard.
    await page.locator('.link-card .short-url button[data-copy]').first().click();
    await page.locator('.link-card .short-url button[data-copy]', { hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), shortUrl);

    // Following the short URL lands on the target page.
    await shortLink.click();
    await page.waitForURL(destination);
    assert.equal(await page.locator('h1').innerText(), `Arrived at /arrived/${suffix}`);

    // Clicks are written in batches: reload (bounded) until the stats page shows it.
    await page.goto(statsUrl);
    const deadline = Date.now() + CLICK_WAIT_MS;
    while ((await clicksShown(page)) !== '1' && Date.now() < deadline) {
      await page.waitForTimeout(250);
      await page.reload();
    }
    assert.equal(await clicksShown(page), '1', `the click shows within ${CLICK_WAIT_MS} ms`);
    const recent = await page.locator('.recent-clicks tbody tr').first().innerText();
    assert.match(recent, /Chrome/, 'the recent clicks list its browser');
    assert.match(recent, /Linux/);

    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = `${ARTIFACTS}browser-story-stats.png`;
    await page.screenshot({ path: screenshot, fullPage: true });
    const png = readFileSync(screenshot);
    assert.ok(png.length > 10_000, 'a real screenshot was written');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');

    // An API token from the page (shown once) reads the same stats.
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill(`browser ${suffix}`);
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = await page.locator('.token-secret code').innerText();
    const id = new URL(statsUrl).pathname.split('/').at(-1) ?? '';
    const api = await fetch(`${server.url}/api/v1/links/${id}/stats`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(api.status, 200);
    assert.equal(((await api.json()) as { clicks: number }).clicks, 1);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${server.url}/`);
    await page.goto(`${server.url}/accounts/profile`);
    assert.equal(page.url(), `${server.url}/accounts/login?next=%2Faccounts%2Fprofile`);
    await close();
  });
});
