import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUser } from '#test/factories.ts';
import { buildTestApp, sharedDatabase, type TestApp } from '#test/helpers/test-app.ts';
import { TestBrowser } from '#test/helpers/test-browser.ts';
import { safeNextPath } from './safe-next.ts';

// Open-redirect payloads, after OWASP's Unvalidated Redirects cheat sheet, PortSwigger's
// open-redirection notes and the PayloadsAllTheThings list: each must fall back to `/`.
const ATTACKS: readonly string[] = [
  '//evil.example',
  '///evil.example',
  '////evil.example',
  '//evil.example/%2f..',
  '//evil.example@hop.example.com',
  '//evil%E3%80%82example',
  '/\\evil.example',
  '/\\/evil.example',
  '\\/evil.example',
  '\\\\evil.example',
  '/%5Cevil.example',
  '/%5cevil.example',
  '/%5C%5Cevil.example',
  '/%2F/evil.example',
  '/%2f%2fevil.example',
  '/.//evil.example',
  '/./%2Fevil.example',
  '/.%2F/evil.example',
  '/..//evil.example',
  '/a/..//evil.example',
  '/a/../..//evil.example',
  '/..%2F/evil.example',
  '/%2e//evil.example',
  '/%2E%2E//evil.example',
  '/a/%2e%2e//evil.example',
  '/%2e%2e/%2e%2e//evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r/evil.example',
  '\t//evil.example',
  '/%09/evil.example',
  '/%0a/evil.example',
  '/%0D/evil.example',
  '/%00/evil.example',
  '/%zz',
  ' //evil.example',
  'https://evil.example',
  'http://evil.example/',
  'HTTPS://evil.example',
  'https:evil.example',
  'https:/evil.example',
  'http:\\\\evil.example',
  '%2F%2Fevil.example',
  'evil.example',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '',
  `/${'a'.repeat(2048)}`,
];

// Paths of this site: they survive, normalised by the URL parser, without a fragment.
const LEGITIMATE: readonly [string, string][] = [
  ['/', '/'],
  ['/links', '/links'],
  ['/links?q=a%20b', '/links?q=a%20b'],
  ['/links?q=a b', '/links?q=a%20b'],
  ['/links?q=%2F%2Fx', '/links?q=%2F%2Fx'],
  ['/links/123/edit', '/links/123/edit'],
  ['/accounts/profile?tab=1', '/accounts/profile?tab=1'],
  ['/a/b/../c', '/a/c'],
  ['/a/./b', '/a/b'],
  ['/../links', '/links'],
  ['/links#top', '/links'],
  ['/caf%C3%A9', '/caf%C3%A9'],
  ['/café', '/caf%C3%A9'],
  // A path here, not a URL: the browser stays on this site.
  ['/https://evil.example', '/https://evil.example'],
];

describe('safeNextPath', () => {
  for (const attack of ATTACKS) {
    test(`refuses ${JSON.stringify(attack.slice(0, 60))}`, () => {
      assert.equal(safeNextPath(attack), '/');
    });
  }
  for (const [input, expected] of LEGITIMATE) {
    test(`keeps ${JSON.stringify(input)} as ${expected}`, () => {
      assert.equal(safeNextPath(input), expected);
    });
  }

  test('anything but a string falls back, to the given fallback when there is one', () => {
    for (const value of [undefined, null, 42, ['/links'], { next: '/links' }]) {
      assert.equal(safeNextPath(value), '/');
    }
    assert.equal(safeNextPath('//evil.example', '/links'), '/links');
  });

  test('what comes back is never a network path, whatever the input', () => {
    for (const attack of ATTACKS) assert.ok(!safeNextPath(attack).startsWith('//'));
  });
});

// The redirect a browser would follow, through the real login and sign-up forms.
describe('next= on the account forms', () => {
  let t: TestApp;
  let ip = 0;
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  const visitor = () => {
    ip += 1;
    return new TestBrowser(t.app, { ip: `10.91.${Math.floor(ip / 250)}.${(ip % 250) + 1}` });
  };

  test('login sends every attack home, and a path of this site to that path', async () => {
    const user = await createUser((await sharedDatabase()).db);
    const cases: [string, string][] = [
      ...ATTACKS.map((attack): [string, string] => [attack, '/']),
      ['/links?q=a%20b', '/links?q=a%20b'],
      ['/a/b/../c', '/a/c'],
    ];
    for (const [next, expected] of cases) {
      const browser = visitor();
      await browser.get('/accounts/login');
      const response = await browser.post('/accounts/login', {
        login: user.email,
        password: user.password,
        next,
      });
      assert.equal(
        response.statusCode,
        303,
        `${JSON.stringify(next)}: ${response.body.slice(0, 200)}`,
      );
      assert.equal(response.headers.location, expected, JSON.stringify(next));
    }
  });

  test('the login and sign-up pages carry only the normalised path in their forms', async () => {
    for (const page of ['/accounts/login', '/accounts/register']) {
      const attack = await visitor().get(
        `${page}?next=${encodeURIComponent('/a/..//evil.example')}`,
      );
      assert.equal(attack.statusCode, 200);
      // `/` is the default, so the form carries no next field at all.
      assert.doesNotMatch(attack.body, /name="next"/);
      assert.doesNotMatch(attack.body, /evil\.example/);
      const kept = await visitor().get(`${page}?next=${encodeURIComponent('/a/b/../c?x=1')}`);
      assert.match(kept.body, /name="next" value="\/a\/c\?x=1" \/>/);
    }
  });
});
