import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { HOPLINK_ENTRY } from '#test/helpers/hoplink-command.ts';
import { startSentryStandIn } from '#test/helpers/sentry-stand-in.ts';
import { spawnServe } from '#test/helpers/spawn-server.ts';

const RECORDER = fileURLToPath(new URL('../../test/helpers/record-modules.mjs', import.meta.url));
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const secret = (label: string) => `${label}${randomBytes(12).toString('hex')}`;

let standIn: Awaited<ReturnType<typeof startSentryStandIn>>;
let directory = '';
before(async () => {
  standIn = await startSentryStandIn();
  directory = mkdtempSync(join(tmpdir(), 'hoplink-modules-'));
});
after(async () => {
  await standIn.close();
  rmSync(directory, { recursive: true, force: true });
});

/**
 * `hoplink serve` (primary and one web worker) with a loader hook recording every module either
 * process resolves; `work` runs against its URL, then SIGTERM. Returns the module URLs.
 */
async function serveRecording(
  name: string,
  env: Record<string, string>,
  work: (url: string) => Promise<void>,
): Promise<string[]> {
  const record = join(directory, `${name}.txt`);
  const server = spawnServe({
    env: { ...env, NODE_OPTIONS: `--import=${RECORDER}`, RECORD_MODULES_TO: record },
  });
  // Generous: loading the SDK takes a second or more, the recorder adds a line per module.
  const patience = 60_000;
  try {
    await work(await server.ready(patience));
  } finally {
    const exit = await server.stop('SIGTERM', patience);
    assert.deepEqual(exit, { code: 0, signal: null }, server.output());
  }
  return readFileSync(record, 'utf8').split('\n');
}

const fromSentry = (url: string) => /\/node_modules\/@(?:sentry|opentelemetry)\//.test(url);

describe('error tracking in a served process', () => {
  test('without SENTRY_DSN nothing under @sentry/ (or OpenTelemetry) is loaded', async () => {
    const modules = await serveRecording('unset', {}, async (url) => {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/no-such-code-here`)).status, 404);
    });
    assert.ok(modules.includes(pathToFileURL(HOPLINK_ENTRY).href), 'the recorder saw the app');
    assert.deepEqual(modules.filter(fromSentry), []);
    assert.deepEqual(standIn.envelopes, []);
  });

  test('with SENTRY_DSN the web worker loads the SDK; a traced request carries no secret', async () => {
    const cookie = secret('cookie');
    const bearer = secret('bearer');
    const query = secret('query');
    const resetToken = secret('reset');
    const modules = await serveRecording(
      'set',
      { SENTRY_DSN: standIn.dsn, SENTRY_TRACES_SAMPLE_RATE: '1' },
      async (url) => {
        const response = await fetch(`${url}/accounts/reset/${resetToken}?token=${query}`, {
          headers: { cookie: `hoplink_session=${cookie}`, authorization: `Bearer ${bearer}` },
        });
        // Whatever the page answers: a 500 would send an event, checked for secrets below too.
        await response.arrayBuffer();
      },
    );
    assert.ok(modules.some((url) => url.includes('/node_modules/@sentry/node/')));
    // The SIGTERM closed the container, which flushed the SDK: everything has arrived.
    const transactions = standIn.items('transaction');
    assert.ok(
      transactions.some(
        (transaction) => transaction.transaction === 'GET /accounts/reset/[REDACTED]',
      ),
      JSON.stringify(transactions.map((transaction) => transaction.transaction)),
    );
    for (const transaction of transactions) {
      assert.equal(transaction.release, `hoplink@${VERSION}`);
      assert.equal(transaction.environment, 'development');
    }
    const raw = standIn.rawText();
    for (const value of [cookie, bearer, query, resetToken]) {
      assert.ok(!raw.includes(value), `${value} was sent:\n${raw}`);
    }
  });
});
