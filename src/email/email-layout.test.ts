import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountExistsEmail } from './account-exists-email.ts';
import type { EmailMessage } from './email-sender.ts';
import { composeEmail, wrapText } from './email-layout.ts';
import { passwordResetEmail } from './password-reset-email.ts';
import { welcomeEmail } from './welcome-email.ts';

const USERNAME = 'ana<script>';
const EMAILS: Record<string, EmailMessage> = {
  welcome: welcomeEmail({
    to: 'a@example.com',
    username: USERNAME,
    siteUrl: 'https://hop.example.com/',
  }),
  reset: passwordResetEmail({
    to: 'a@example.com',
    username: USERNAME,
    resetUrl: 'https://hop.example.com/accounts/reset/abc',
    validForMinutes: 60,
  }),
  exists: accountExistsEmail({
    to: 'a@example.com',
    username: USERNAME,
    loginUrl: 'https://hop.example.com/accounts/login',
    resetUrl: 'https://hop.example.com/accounts/password-reset',
  }),
};

/** What a reader of the HTML part sees, as words. */
function visibleWords(markup: string): string {
  const body = markup.slice(markup.indexOf('<body'));
  return body
    .replace(/<\/?(?:p|br|body|html)\b[^>]*>/g, ' ')
    .replace(/<[^>]+>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')
    .split(/\s+/)
    .filter(Boolean)
    .join(' ');
}

for (const [name, message] of Object.entries(EMAILS)) {
  test(`the ${name} email says the same words in its text and HTML parts, in the shared shell`, () => {
    assert.equal(visibleWords(message.html), message.text.split(/\s+/).filter(Boolean).join(' '));
    assert.match(message.text, /^Hello ana<script>,\n\n/, 'greeted by name, as typed');
    assert.ok(!message.html.includes('<script>'), 'the username is escaped in HTML');
    assert.ok(message.html.includes(`<title>${message.subject}</title>`));
    assert.ok(message.html.includes('<meta name="viewport"'), 'the one shell, with its viewport');
    for (const line of message.text.split('\n')) {
      assert.ok(line.length <= 76 || /^https?:\/\/\S+$/.test(line), `wrapped: ${line}`);
    }
  });
}

test('a link stands alone on its line in text and is a link in HTML', () => {
  const message = composeEmail({
    to: 'a@example.com',
    subject: 'S',
    username: 'bo',
    blocks: [{ lead: 'Open:', link: 'https://hop.example.com/x?a=1&b="2"' }],
  });
  assert.match(message.text, /^Open:\nhttps:\/\/hop\.example\.com\/x\?a=1&b="2"$/m);
  assert.ok(
    message.html.includes(
      '<a href="https://hop.example.com/x?a=1&amp;b=&quot;2&quot;">https://hop.example.com/x?a=1&amp;b=&quot;2&quot;</a>',
    ),
  );
});

test('wrapText breaks between words and never inside one', () => {
  assert.equal(wrapText('aa bb cc dd', 5), 'aa bb\ncc dd');
  assert.equal(
    wrapText('a https://example.com/very/long b', 10),
    'a\nhttps://example.com/very/long\nb',
  );
  assert.equal(wrapText('  spaced   out  ', 80), 'spaced out');
});
