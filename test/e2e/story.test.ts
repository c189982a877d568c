import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { unique } from '#test/factories.ts';
import { showRun, runHoplink } from '#test/helpers/cli.ts';
import {
  createTestDatabase,
  postgresReachable,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { productionEnv, startServer, type ServeProcess } from '#test/helpers/spawn-server.ts';
import { until } from '#test/helpers/until.ts';
import { startWorker, type WorkerProcess } from '#test/helpers/worker-process.ts';

// The whole story a visitor lives, over real HTTP against `hoplink serve` in its own process:
// once on the embedded database (development profile), once in production on PostgreSQL.

const PASSWORD = 'violet kettle under seven lamps';
const BROWSER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const CLICK_WAIT_MS = 10_000;

/** A port nobody listens on now, so SITE_URL can name the port the server will take. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

interface Page {
  readonly status: number;
  readonly location: string | null;
  readonly body: string;
}

/** fetch with a cookie jar kept by hand; forms post the CSRF token of the last page seen. */
class Visitor {
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;

  constructor(private readonly base: string) {}

  get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.send('GET', path, undefined, headers);
  }

  post(path: string, form: Record<string, string | readonly string[]> = {}): Promise<Page> {
    const body = new URLSearchParams();
    if (this.csrfToken !== null) body.append('_csrf', this.csrfToken);
    for (const [name, value] of Object.entries(form)) {
      for (const item of typeof value === 'string' ? [value] : value) body.append(name, item);
    }
    return this.send('POST', path, body.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      origin: this.base,
    });
  }

  private async send(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<Page> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(new URL(path, this.base), {
      method,
      body,
      redirect: 'manual',
      headers: { 'user-agent': BROWSER_AGENT, ...(cookie ? { cookie } : {}), ...headers },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expired = attributes.some(
        (attribute) =>
          /^max-age=0$/i.test(attribute) ||
          (/^expires=/i.test(attribute) && Date.parse(attribute.slice(8)) <= Date.now()),
      );
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    const token = /name="_csrf" value="([^"]*)"/.exec(text)?.[1];
    if (token !== undefined) this.csrfToken = token;
    return { status: response.status, location: response.headers.get('location'), body: text };
  }
}

/** The number in the stats page's "Clicks" card. */
function clicksShown(page: string): number | null {
  const match = /<dt>Clicks<\/dt><dd>([\d,]+)<\/dd>/.exec(page);
  return match ? Number(match[1]!.replace(/,/g, '')) : null;
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Register → log in → link → redirect → stats page and API → log out, as one visitor. */
async function theStory(server: ServeProcess, siteUrl: string): Promise<void> {
  const visitor = new Visitor(server.url);
  const suffix = unique();
  const email = `story-${suffix}@example.com`;
  const username = `story_${suffix}`.slice(0, 30);

  const form = await visitor.get('/accounts/register');
  assert.equal(form.status, 200);
  assert.ok(visitor.csrfToken, 'the sign-up form carries a CSRF token');
  const registered = await visitor.post('/accounts/register', {
    email,
    username,
    password: PASSWORD,
  });
  assert.equal(registered.status, 303, registered.body.slice(0, 2000));
  // Sign-up answers the same whether or not the address had an account: check your email.
  assert.equal(registered.location, '/accounts/register/done');
  assert.match((await visitor.get('/accounts/register/done')).body, /Check your email/);

  await visitor.get('/accounts/login');
  const loggedIn = await visitor.post('/accounts/login', { login: email, password: PASSWORD });
  assert.equal(loggedIn.status, 303, loggedIn.body.slice(0, 2000));
  assert.equal(loggedIn.location, '/');
  const home = await visitor.get('/');
  assert.ok(home.body.includes(username), 'the home page names the signed-in user');

  const target = `https://example.com/story/${suffix}?from=hoplink`;
  await visitor.get('/links/new');
  const created = await visitor.post('/links', { url: target, title: `Story ${suffix}` });
  assert.equal(created.status, 303, created.body.slice(0, 2000));
  const id = /^\/links\/([^/?]+)$/.exec(created.location ?? '')?.[1];
  assert.ok(id, `created redirects to the stats page, not ${String(created.location)}`);

  const stats = await visitor.get(`/links/${id}`);
  assert.equal(stats.status, 200);
  assert.match(stats.body, /Short link created: /, 'the flash confirms the link');
  assert.equal(clicksShown(stats.body), 0, 'no clicks yet');
  const shortUrl = new RegExp(`href="(${siteUrl}/([A-Za-z0-9_-]{7}))"`).exec(stats.body);
  assert.ok(shortUrl, 'the stats page shows the short URL on SITE_URL');
  const code = shortUrl[2]!;

  // Another visitor (no cookies) follows the short URL from a page elsewhere.
  const hop = await fetch(`${server.url}/${code}`, {
    redirect: 'manual',
    headers: { 'user-agent': BROWSER_AGENT, referer: 'https://news.example.org/thread/1' },
  });
  assert.equal(hop.status, 302);
  assert.equal(hop.headers.get('location'), target);
  assert.equal(hop.headers.get('x-robots-tag'), 'noindex');

  // Clicks are written in batches: wait (bounded) for the stats page to show it.
  let statsPage = '';
  await until(
    async () => {
      statsPage = (await visitor.get(`/links/${id}`)).body;
      return clicksShown(statsPage) === 1;
    },
    'the stats page to show the click',
    CLICK_WAIT_MS,
  );
  assert.ok(statsPage.includes('news.example.org'), 'the referrer host is listed');

  // An API token, shown once on the page, reads the same stats.
  await visitor.get('/settings/tokens');
  const tokenPage = await visitor.post('/settings/tokens', {
    name: `story ${suffix}`,
    scopes: ['links:read'],
  });
  assert.equal(tokenPage.status, 201, tokenPage.body.slice(0, 2000));
  const token = /<p class="token-secret"><code>([^<]+)<\/code>/.exec(tokenPage.body)?.[1];
  assert.ok(token, 'the new token is shown once');
  const api = await fetch(`${server.url}/api/v1/links/${id}/stats`, {
    headers: { authorization: `Bearer ${unescapeHtml(token)}` },
  });
  assert.equal(api.status, 200);
  const body = (await api.json()) as {
    clicks: number;
    uniqueVisitors: number;
    referrers: { value: string; clicks: number }[];
  };
  assert.equal(body.clicks, 1);
  assert.equal(body.uniqueVisitors, 1);
  assert.deepEqual(
    body.referrers.map((referrer) => referrer.value),
    ['news.example.org'],
  );
  const noToken = await fetch(`${server.url}/api/v1/links/${id}/stats`);
  assert.equal(noToken.status, 401);

  // Logging out ends the session: the profile page sends the visitor to log in.
  const loggedOut = await visitor.post('/accounts/logout');
  assert.equal(loggedOut.status, 303);
  const profile = await visitor.get('/accounts/profile');
  assert.equal(profile.status, 303);
  assert.equal(profile.location, '/accounts/login?next=%2Faccounts%2Fprofile');
  assert.equal((await visitor.get(`/links/${id}`)).status, 303, 'the stats page too');
}

describe('the story over HTTP [embedded PGlite, development profile]', { timeout: 90_000 }, () => {
  let server: ServeProcess | undefined;
  let siteUrl = '';
  before(async () => {
    const port = await freePort();
    siteUrl = `http://127.0.0.1:${port}`;
    server = await startServer({
      env: { SERVER_PORT: String(port), SITE_URL: siteUrl },
    });
  });
  after(async () => {
    await server?.stop();
  });

  test('register, log in, create a link, follow it, see the click, log out', async () => {
    assert.ok(server);
    await theStory(server, siteUrl);
  });
});

const postgres = await postgresReachable();

describe(
  'the story over HTTP [PostgreSQL, production profile]',
  postgres
    ? { timeout: 120_000 }
    : { skip: 'PostgreSQL is not reachable at 127.0.0.1:5432: start it to run this suite' },
  () => {
    let database: TestDatabase | undefined;
    let server: ServeProcess | undefined;
    let worker: WorkerProcess | undefined;
    const siteUrl = 'https://hop.example.com';
    before(async () => {
      // An empty database, migrated the way an operator does it: `hoplink migrate`, then serve.
      database = await createTestDatabase('postgres', { migrate: false });
      const env = { ...productionEnv(database.url ?? ''), SITE_URL: siteUrl };
      const migrated = await runHoplink(['migrate'], { env });
      assert.equal(migrated.code, 0, showRun(migrated));
      server = await startServer({ env });
      // Production writes clicks in the worker; this one takes the clicks queue only (the
      // welcome email would wait for an SMTP server this story does not run).
      worker = await startWorker(env, ['clicks']);
    });
    after(async () => {
      await server?.stop();
      worker?.child.kill('SIGTERM');
      await worker?.exited;
      await database?.drop();
    });

    test('register, log in, create a link, follow it, see the click, log out', async () => {
      assert.ok(server);
      await theStory(server, siteUrl);
    });
  },
);
