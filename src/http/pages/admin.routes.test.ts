import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { JOB_NAMES, type JobHandlers } from '#src/jobs/job-registry.ts';
import { PermanentJobError } from '#src/jobs/queue.ts';
import { createJobDispatcher, startWorkers } from '#src/jobs/worker-runner.ts';
import { createUser, type UserFixture } from '#test/factories.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import { loginBrowser } from '#test/helpers/login.ts';
import {
  redisReachable,
  SKIP_REDIS,
  TEST_REDIS_URL,
  uniqueQueuePrefix,
} from '#test/helpers/redis.ts';
import { until } from '#test/helpers/until.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';

const ADMIN = '/staff-q8w2';
const QUEUES = `${ADMIN}/queues`;

const staffUser = async (): Promise<UserFixture> =>
  createUser((await sharedDatabase()).db, { isStaff: true });
const plainUser = async (): Promise<UserFixture> => createUser((await sharedDatabase()).db);

/** The page without its request id, the one part that differs between two 404s. */
function withoutRequestId(response: LightMyRequestResponse): string {
  return response.body.replaceAll(String(response.headers['x-request-id']), '');
}

/** The counts row of a queue's card: waiting, active, delayed, completed, failed. */
function countsOf(page: string, queue: string): number[] {
  const card = new RegExp(`<h2 class="card-title">${queue} queue</h2>[^]*?</section>`).exec(page);
  assert.ok(card, `the ${queue} queue has a card`);
  const row = /<tbody><tr>(.*?)<\/tr><\/tbody>/.exec(card[0]);
  assert.ok(row?.[1], `the ${queue} queue has its counts`);
  return [...row[1].matchAll(/<td class="numeric">([\d,]+)<\/td>/g)].map((m) =>
    Number(m[1]?.replaceAll(',', '')),
  );
}

describe('the staff area at ADMIN_PATH', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ ADMIN_PATH: ADMIN });
  });
  after(() => t.close());

  test('sends an anonymous visitor to the login form, and a staff member back after it', async () => {
    const browser = new TestBrowser(t.app);
    for (const path of [ADMIN, QUEUES]) {
      const response = await browser.get(path);
      assert.equal(response.statusCode, 303, path);
      assert.equal(response.headers.location, `/accounts/login?next=${encodeURIComponent(path)}`);
      assert.equal(response.headers['x-robots-tag'], 'noindex');
    }
    const posted = await browser.post(`${QUEUES}/email/jobs/x/retry`);
    assert.equal(posted.statusCode, 303);
    assert.equal(
      posted.headers.location,
      `/accounts/login?next=${encodeURIComponent(QUEUES)}`,
      'a form post comes back to the page, not to the post',
    );

    const user = await staffUser();
    await browser.get(`/accounts/login?next=${encodeURIComponent(QUEUES)}`);
    const login = await browser.post('/accounts/login', {
      login: user.email,
      password: user.password,
      next: QUEUES,
    });
    assert.equal(login.statusCode, 303);
    assert.equal(login.headers.location, QUEUES);
    assert.equal((await browser.get(QUEUES)).statusCode, 200);
  });

  test('answers a signed-in user who is not staff exactly like a path that does not exist', async () => {
    const browser = await loginBrowser(t.app, await plainUser());
    const missing = await browser.get(`${ADMIN}-nothing-here`);
    assert.equal(missing.statusCode, 404);
    for (const path of [ADMIN, QUEUES]) {
      const response = await browser.get(path);
      assert.equal(response.statusCode, 404, path);
      assert.equal(withoutRequestId(response), withoutRequestId(missing));
      assert.equal(response.headers['x-robots-tag'], undefined);
      assert.equal(response.headers['cache-control'], missing.headers['cache-control']);
    }
    // Refused before the CSRF check, so not even a 403 gives the area away.
    const posted = await browser.post(`${QUEUES}/email/jobs/x/remove`, {}, { csrf: null });
    assert.equal(posted.statusCode, 404);
  });

  test('shows staff every queue with its counts, never cached or indexed', async () => {
    const browser = await loginBrowser(t.app, await staffUser());
    const index = await browser.get(ADMIN);
    assert.equal(index.statusCode, 302);
    assert.equal(index.headers.location, QUEUES);
    assert.equal(index.headers['x-robots-tag'], 'noindex');

    const page = await browser.get(QUEUES);
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['x-robots-tag'], 'noindex');
    assertCspSafe(page.body, 'queues page');
    for (const queue of ['email', 'clicks', 'default']) {
      // Tests run jobs inline (QUEUE_MODE=eager): nothing is ever kept.
      assert.deepEqual(countsOf(page.body, queue), [0, 0, 0, 0, 0], queue);
    }
    assert.equal(page.body.match(/No failed jobs/g)?.length, 3);
  });
});

describe('ADMIN_ALLOWED_IPS', () => {
  let t: TestApp;
  let staff: TestBrowser;
  before(async () => {
    // Behind a proxy on 127.0.0.1 (the default TRUSTED_PROXIES), as in production.
    t = await buildTestApp({
      ADMIN_PATH: ADMIN,
      ADMIN_ALLOWED_IPS: '203.0.113.0/24',
      TRUST_PROXY_HEADERS: 'true',
    });
    staff = await loginBrowser(t.app, await staffUser());
  });
  after(() => t.close());

  /** The signed-in staff member's cookies, sent from another address. */
  function staffAt(ip: string): TestBrowser {
    const browser = new TestBrowser(t.app, { ip });
    for (const [name, value] of staff.cookies) browser.cookies.set(name, value);
    return browser;
  }

  test('hides the area from every other address, even from staff and before login', async () => {
    const missing = await staff.get(`${ADMIN}-nothing-here`);
    for (const path of [ADMIN, QUEUES]) {
      const response = await staff.get(path);
      assert.equal(response.statusCode, 404, path);
      assert.equal(withoutRequestId(response), withoutRequestId(missing));
      assert.equal(response.headers['x-robots-tag'], undefined);
    }
    const anonymous = await new TestBrowser(t.app).get(QUEUES);
    assert.equal(anonymous.statusCode, 404, 'no login redirect either');
    const posted = await staff.post(`${QUEUES}/email/jobs/x/retry`);
    assert.equal(posted.statusCode, 404);
    assert.match(t.logs.text, /staff area refused: address not in ADMIN_ALLOWED_IPS/);
  });

  test('lets staff in from a listed address, directly or as the trusted proxy reports it', async () => {
    assert.equal((await staffAt('203.0.113.20').get(QUEUES)).statusCode, 200);
    const forwarded = await staff.get(QUEUES, { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(forwarded.statusCode, 200);
    assert.equal(
      (await new TestBrowser(t.app).get(QUEUES, { 'x-forwarded-for': '203.0.113.9' })).statusCode,
      303,
      'an anonymous visitor from a listed address is asked to log in',
    );
    // From a peer that is not a trusted proxy, X-Forwarded-For is ignored.
    const forged = await staffAt('198.51.100.7').get(QUEUES, {
      'x-forwarded-for': '203.0.113.9',
    });
    assert.equal(forged.statusCode, 404);
  });
});

const reachable = await redisReachable();

describe(
  'the queue dashboard on Redis (failed jobs, retry, remove)',
  reachable ? {} : { skip: SKIP_REDIS },
  () => {
    let t: TestApp;
    let staff: TestBrowser;
    let failing = true;
    let closeWorkers: () => Promise<unknown> = () => Promise.resolve();
    let dropKeys: () => Promise<void> = () => Promise.resolve();
    const userId = randomUUID();

    before(async () => {
      const { prefix, cleanup } = uniqueQueuePrefix();
      dropKeys = cleanup;
      t = await buildTestApp({
        ADMIN_PATH: ADMIN,
        QUEUE_MODE: 'redis',
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
      });
      // A `hoplink worker` of our own on the email queue, whose welcome emails fail for good
      // while `failing` is set: dead letters in one attempt.
      const noop = () => Promise.resolve();
      const handlers: Partial<JobHandlers> = {
        ...Object.fromEntries(JOB_NAMES.map((name) => [name, noop])),
        'send-welcome-email': () =>
          failing
            ? Promise.reject(new PermanentJobError('550 mailbox unavailable'))
            : Promise.resolve(),
      };
      const workers = await startWorkers({
        url: TEST_REDIS_URL,
        prefix,
        queues: ['email'],
        concurrency: 1,
        dispatch: createJobDispatcher(handlers),
        logger: t.container.logger,
      });
      closeWorkers = () => workers.close(5_000);
      staff = await loginBrowser(t.app, await staffUser());
    });
    after(async () => {
      await closeWorkers();
      await t.close();
      await dropKeys();
    });

    const emailQueue = async () => (await t.container.jobs.overview())[0];

    /** A welcome email that fails for good, as the dashboard will list it. */
    async function deadLetter(jobId: string): Promise<void> {
      failing = true;
      await t.container.jobs.enqueue('send-welcome-email', { userId }, { jobId });
      await until(
        async () => (await emailQueue())?.failed.some((job) => job.id === jobId) ?? false,
        `${jobId} to fail`,
      );
    }

    test('lists failed jobs without their payload; Retry and Remove act on them', async () => {
      await deadLetter('dead-a');
      await deadLetter('dead-b');
      const page = await staff.get(QUEUES);
      assert.equal(page.statusCode, 200);
      assertCspSafe(page.body, 'queues page with failed jobs');
      assert.deepEqual(countsOf(page.body, 'email'), [0, 0, 0, 0, 2]);
      assert.deepEqual(countsOf(page.body, 'clicks'), [0, 0, 0, 0, 0]);
      assert.match(page.body, /<code>dead-b<\/code>[^]*<code>dead-a<\/code>/, 'newest first');
      assert.match(page.body, /send-welcome-email/);
      assert.match(page.body, /550 mailbox unavailable/);
      assert.ok(!page.body.includes(userId), 'never the payload');
      assert.match(page.body, new RegExp(`action="${QUEUES}/email/jobs/dead-a/retry"`));
      assert.match(page.body, new RegExp(`action="${QUEUES}/email/jobs/dead-b/remove"`));

      failing = false;
      const retried = await staff.post(`${QUEUES}/email/jobs/dead-a/retry`);
      assert.equal(retried.statusCode, 303);
      assert.equal(retried.headers.location, QUEUES);
      assert.equal(retried.headers['x-robots-tag'], 'noindex');
      await until(
        async () => (await emailQueue())?.counts.completed === 1,
        'the retried job to run',
      );
      const afterRetry = await staff.get(QUEUES);
      assert.match(afterRetry.body, /Job dead-a is back in the email queue/);
      assert.deepEqual(countsOf(afterRetry.body, 'email'), [0, 0, 0, 1, 1]);
      assert.doesNotMatch(afterRetry.body, /<code>dead-a<\/code>/);
      assert.match(t.logs.text, /staff retried failed job dead-a/);

      const removed = await staff.post(`${QUEUES}/email/jobs/dead-b/remove`);
      assert.equal(removed.statusCode, 303);
      const afterRemove = await staff.get(QUEUES);
      assert.match(afterRemove.body, /Job dead-b was removed from the email queue/);
      assert.deepEqual(countsOf(afterRemove.body, 'email'), [0, 0, 0, 1, 0]);
      assert.equal((await emailQueue())?.failed.length, 0);

      await staff.post(`${QUEUES}/email/jobs/dead-b/retry`);
      assert.match((await staff.get(QUEUES)).body, /has no failed job dead-b any more/);
    });

    test('Retry and Remove need the CSRF token: 403, and the job stays', async () => {
      await deadLetter('dead-c');
      await staff.get(QUEUES);
      const withoutToken = await staff.post(
        `${QUEUES}/email/jobs/dead-c/retry`,
        {},
        { csrf: null },
      );
      assert.equal(withoutToken.statusCode, 403);
      const wrongToken = await staff.post(
        `${QUEUES}/email/jobs/dead-c/remove`,
        {},
        { csrf: 'forged.token' },
      );
      assert.equal(wrongToken.statusCode, 403);
      const email = await emailQueue();
      assert.deepEqual(
        email?.failed.map((job) => job.id),
        ['dead-c'],
      );
      assert.equal(email.counts.failed, 1);
    });
  },
);
