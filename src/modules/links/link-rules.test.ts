import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkAlias,
  checkExpiresAt,
  checkRedirectStatus,
  checkSlug,
  checkTargetUrl,
  checkTitle,
  isReservedWord,
  ownHostNames,
  type Checked,
} from './link-rules.ts';

const own = ownHostNames('https://hop.example:8443', [
  'hop.example',
  'short.example.',
  '.example.org',
  '10.0.0.0/8',
  '[::1]',
]);

function message<T>(checked: Checked<T>): string {
  if (checked.ok) return assert.fail(`expected a problem, got ${String(checked.value)}`);
  return checked.message;
}

function value<T>(checked: Checked<T>): T {
  if (!checked.ok) assert.fail(checked.message);
  return checked.value;
}

describe('target URL rules', () => {
  test('normalises through the WHATWG URL parser', () => {
    assert.equal(
      value(checkTargetUrl('  HTTPS://Example.COM:443/a b?x=1#top ', own)),
      'https://example.com/a%20b?x=1#top',
    );
    assert.equal(
      value(checkTargetUrl('http://bücher.example/', own)),
      'http://xn--bcher-kva.example/',
    );
  });

  for (const [raw, expected] of [
    ['javascript:alert(1)', /Only http:\/\/ and https:\/\//],
    ['data:text/html,<b>x</b>', /Only http:\/\/ and https:\/\//],
    ['ftp://files.example.com/x', /Only http:\/\/ and https:\/\//],
    ['not a url', /valid URL/],
    ['example.com/page', /Start the URL with http:\/\/ or https:\/\//],
    ['', /Enter the URL/],
    ['https://user:secret@example.com/', /user name or password/],
    ['https://user@example.com/', /user name or password/],
    ['https://hop.example/abc', /this site itself/],
    ['http://HOP.example:8443/x', /this site itself/],
    ['https://short.example/abc', /this site itself/],
    ['http://[::1]:8000/', /this site itself/],
    [`https://example.com/${'a'.repeat(2048)}`, /at most 2048 characters/],
  ] as const) {
    test(`refuses ${raw.slice(0, 40) || '(empty)'}`, () => {
      assert.match(message(checkTargetUrl(raw, own)), expected);
    });
  }

  test('accepts exactly 2048 characters, and hosts only matched by patterns', () => {
    const url = `https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`;
    assert.equal(value(checkTargetUrl(url, own)), url);
    assert.ok(value(checkTargetUrl('https://docs.example.org/', own)));
    assert.ok(value(checkTargetUrl('http://10.1.2.3/', own)));
  });

  test('checks the length again after normalising', () => {
    // 700 "é" are 1 400 characters raw, 4 200 once percent-encoded.
    assert.match(message(checkTargetUrl(`https://example.com/${'é'.repeat(700)}`, own)), /2048/);
  });
});

describe('alias, slug and other fields', () => {
  test('aliases: 3 to 64 of [A-Za-z0-9_-], case kept', () => {
    assert.equal(value(checkAlias('My_Link-2')), 'My_Link-2');
    for (const bad of ['ab', 'a'.repeat(65), 'has space', 'dot.ted', 'ünï', 'slash/ed']) {
      assert.match(message(checkAlias(bad)), /3 to 64 characters/, bad);
    }
  });

  test('reserved words are refused in any case', () => {
    for (const word of [
      'api',
      'ADMIN',
      'Accounts',
      'static',
      'healthz',
      'readyz',
      'csp-report',
      'links',
      'settings',
    ]) {
      assert.match(message(checkAlias(word)), /reserved/, word);
      assert.ok(isReservedWord(word));
    }
    assert.ok(isReservedWord('favicon.ico') && isReservedWord('ROBOTS.TXT'));
    assert.equal(isReservedWord('apis'), false);
  });

  test('slugs: 1 to 64 of [a-z0-9_-]', () => {
    assert.equal(value(checkSlug('my-post_1')), 'my-post_1');
    for (const bad of ['', 'Upper', 'a b', 'x'.repeat(65), 'a/b']) {
      assert.match(message(checkSlug(bad)), /lowercase letters/, bad);
    }
  });

  test('title, redirect status and expiry', () => {
    assert.equal(value(checkTitle('  ')), null);
    assert.match(message(checkTitle('x'.repeat(201))), /at most 200/);
    assert.equal(value(checkRedirectStatus('301')), 301);
    assert.equal(value(checkRedirectStatus(308)), 308);
    assert.match(message(checkRedirectStatus(303)), /301, 302, 307 or 308/);
    const now = new Date('2030-01-01T00:00:00Z');
    assert.deepEqual(
      value(checkExpiresAt('2030-01-02T00:00:00Z', now)),
      new Date('2030-01-02T00:00:00Z'),
    );
    assert.match(message(checkExpiresAt('2029-12-31T00:00:00Z', now)), /in the future/);
    assert.match(message(checkExpiresAt('tomorrow', now)), /valid date/);
  });
});
