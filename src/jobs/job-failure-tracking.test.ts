import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createUser, unique } from '#test/factories.ts';
import { startSentryStandIn } from '#test/helpers/sentry-stand-in.ts';
import { startSmtpServer } from '#test/helpers/smtp-server.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';
import { createMemoryQueue } from './memory-queue.ts';

type Payload = Record<string, unknown>;

let standIn: Awaited<ReturnType<typeof startSentryStandIn>>;
let smtp: ReturnType<typeof startSmtpServer>;
let smtpPort = 0;
before(async () => {
  standIn = await startSentryStandIn();
  smtp = startSmtpServer();
  smtpPort = await smtp.listen();
});
after(async () => {
  await smtp.close();
  await standIn.close();
});

/**
 * The real container (real handlers, real SMTP transport) with SENTRY_DSN at the stand-in and
 * an SMTP password; closing it flushes what the SDK holds. Returns what was sent meanwhile.
 */
async function tracked(
  smtpPassword: string,
  work: (t: TestApp) => Promise<void>,
): Promise<{ events: Payload[]; raw: string }> {
  const from = standIn.envelopes.length;
  const t = await buildTestApp({
    SENTRY_DSN: standIn.dsn,
    EMAIL_URL: `smtp://hoplink:${smtpPassword}@127.0.0.1:${smtpPort}`,
  });
  try {
    await work(t);
  } finally {
    await t.close();
  }
  const envelopes = standIn.envelopes.slice(from);
  return {
    events: envelopes.flatMap((envelope) =>
      envelope.items.filter((item) => item.type === 'event').map((item) => item.payload),
    ),
    raw: envelopes.map((envelope) => envelope.raw).join('\n'),
  };
}

describe('error tracking from jobs', () => {
  test('a job failing its last attempt is one event naming the job, without its payload', async () => {
    const password = `pw${randomBytes(12).toString('hex')}`;
    const jobId = randomUUID();
    let user = { id: '', email: '' };
    const { events, raw } = await tracked(password, async (t) => {
      t.logs.expectErrors();
      // The SMTP stand-in refuses every `broken-…` recipient: each attempt fails.
      user = await createUser(t.container.database.db, { email: `broken-${unique()}@example.com` });
      const queue = createMemoryQueue({
        dispatch: t.container.dispatchJob,
        logger: t.container.logger,
        delay: () => 0,
      });
      await queue.enqueue('send-welcome-email', { userId: user.id }, { jobId });
      await queue.idle();
      const [email] = await queue.overview();
      assert.equal(email?.failed[0]?.attemptsMade, 10, 'every attempt was made');
      await queue.close();
    });
    assert.equal(smtp.attempts.get(user.email), 10);
    assert.equal(events.length, 1, 'only the last attempt is reported');
    assert.deepEqual(events[0]?.tags, {
      job: 'send-welcome-email',
      job_id: jobId,
      queue: 'email',
      attempt: '10',
    });
    for (const value of [user.id, user.email, password]) {
      assert.ok(!raw.includes(value), `${value} was sent:\n${raw}`);
    }
  });

  test('a job that can never run (unknown to this release) is reported at once, payload left out', async () => {
    const payloadSecret = `s${randomBytes(12).toString('hex')}`;
    const jobId = randomUUID();
    const { events, raw } = await tracked('unused', async (t) => {
      await assert.rejects(
        t.container.dispatchJob('renamed-job', { token: payloadSecret }, { jobId, attempt: 1 }),
        /unknown job renamed-job/,
      );
    });
    assert.deepEqual(
      events.map((event) => event.tags),
      [{ job: 'unknown', job_id: jobId, attempt: '1' }],
    );
    assert.ok(!raw.includes(payloadSecret), raw);
  });
});
