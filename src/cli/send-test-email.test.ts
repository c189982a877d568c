import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { runInProcess, showRun } from '#test/helpers/cli.ts';
import { startSmtpServer } from '#test/helpers/smtp-server.ts';

let smtp: ReturnType<typeof startSmtpServer>;
let port: number;
before(async () => {
  smtp = startSmtpServer();
  port = await smtp.listen();
});
after(() => smtp.close());

const env = () => ({ NODE_ENV: 'test', EMAIL_URL: `smtp://user:s3cret@127.0.0.1:${port}` });

test('send-test-email delivers one email and names the transport without its password', async () => {
  const to = `ops-${randomUUID()}@example.com`;
  const run = await runInProcess(['send-test-email', to], { env: env() });
  assert.equal(run.code, 0, showRun(run));
  assert.match(
    run.stdout,
    new RegExp(`sent a test email to ${to} through smtp 127\\.0\\.0\\.1:${port}`),
  );
  assert.ok(!(run.stdout + run.stderr).includes('s3cret'));
  const mail = smtp.delivered.find((item) => item.to === to);
  assert.match(mail?.body ?? '', /Subject: \[Hoplink\] Test email/);
});

test('a refusing server is reported with exit 1', async () => {
  const run = await runInProcess(['send-test-email', `broken-${randomUUID()}@example.com`], {
    env: env(),
  });
  assert.equal(run.code, 1, showRun(run));
  assert.match(run.stderr, /could not send to broken-.* through smtp .*mailbox busy/);
  assert.ok(!run.stderr.includes('s3cret'));
});

test('a missing or malformed address is a usage error', async () => {
  const run = await runInProcess(['send-test-email'], { env: env() });
  assert.equal(run.code, 2, showRun(run));
});
