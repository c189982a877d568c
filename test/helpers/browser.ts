import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

/** Where the system Chromium lives (Debian's `chromium` package); playwright-core drives it. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Options for a `describe` that needs a real browser: skipped, saying why, when Chromium is
 * missing; a generous timeout otherwise.
 */
export const BROWSER: { skip?: string; timeout: number } = existsSync(CHROMIUM_PATH)
  ? { timeout: 60_000 }
  : {
      skip: `Chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium)`,
      timeout: 0,
    };

export function launchBrowser(): Promise<Browser> {
  return import('playwright-core').then(({ chromium }) =>
    chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 }),
  );
}

/**
 * A fresh context and page (1280×800 unless told otherwise). `problems` collects console errors
 * and uncaught page errors; `close()` closes the context and fails the test if there were any,
 * so no browser test passes over an error a visitor's console would show (a CSP violation, say).
 */
export async function openPage(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<{
  context: BrowserContext;
  page: Page;
  problems: string[];
  close: () => Promise<void>;
}> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const close = async () => {
    await context.close();
    assert.deepEqual(problems, [], 'the browser console showed errors');
  };
  return { context, page, problems, close };
}
