import { csrfTokenOf } from './test-browser.ts';

export interface VisitorPage {
  readonly status: number;
  readonly location: string | null;
  readonly retryAfter: string | null;
  readonly contentType: string | null;
  readonly body: string;
}

/**
 * A browser over real HTTP (fetch) for spawned servers: keeps cookies by hand and posts forms
 * with the CSRF token of the last page it saw and the site's Origin, as TestBrowser does for
 * `inject`.
 */
export class HttpVisitor {
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;

  constructor(private readonly base: string) {}

  get(path: string, headers: Record<string, string> = {}): Promise<VisitorPage> {
    return this.send('GET', path, undefined, headers);
  }

  post(path: string, form: Record<string, string> = {}): Promise<VisitorPage> {
    const body = new URLSearchParams();
    if (this.csrfToken !== null) body.append('_csrf', this.csrfToken);
    for (const [name, value] of Object.entries(form)) body.append(name, value);
    return this.send('POST', path, body.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      origin: new URL(this.base).origin,
    });
  }

  private async send(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<VisitorPage> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(new URL(path, this.base), {
      method,
      body,
      redirect: 'manual',
      // A new connection each time, so a cluster's workers share the requests between them.
      headers: { connection: 'close', ...(cookie ? { cookie } : {}), ...headers },
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const name = pair.slice(0, pair.indexOf('='));
      if (/;\s*max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line)) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, pair.slice(pair.indexOf('=') + 1));
      }
    }
    const text = await response.text();
    const token = csrfTokenOf(text);
    if (token !== null) this.csrfToken = token;
    return {
      status: response.status,
      location: response.headers.get('location'),
      retryAfter: response.headers.get('retry-after'),
      contentType: response.headers.get('content-type'),
      body: text,
    };
  }
}
