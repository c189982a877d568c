import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryOutbox } from './memory-outbox.ts';
import { passwordResetEmail } from './password-reset-email.ts';

test('the reset email escapes what it interpolates and carries the link in both parts', async () => {
  const message = passwordResetEmail({
    to: 'a@example.com',
    username: '<b>bob</b>',
    resetUrl: 'https://hop.example.com/accounts/reset/abc?x=1&y="2"',
    validForMinutes: 60,
  });
  assert.match(message.text, /^Hello <b>bob<\/b>,$/m, 'plain text stays as typed');
  assert.match(message.text, /^https:\/\/hop\.example\.com\/accounts\/reset\/abc\?x=1&y="2"$/m);
  assert.ok(message.html.includes('Hello &lt;b&gt;bob&lt;/b&gt;,'));
  assert.ok(
    message.html.includes(
      'href="https://hop.example.com/accounts/reset/abc?x=1&amp;y=&quot;2&quot;"',
    ),
  );
  assert.ok(!message.html.includes('<b>bob'));

  const outbox = new MemoryOutbox({ from: 'Hop <n@example.com>', subjectPrefix: '[Hop] ' });
  await outbox.send(message);
  assert.deepEqual(
    outbox.to('a@example.com').map((sent) => [sent.from, sent.subject]),
    [['Hop <n@example.com>', '[Hop] Reset your password']],
  );
});
