import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export const TEST_ORIGIN = 'http://localhost';

/** The `_csrf` value of the first form in an HTML page, or null. */
export function csrfTokenOf(page: string): string | null {
  return /name="_csrf" value="([^"]*)"/.exec(page)?.[1] ?? null;
}

export interface BrowserOptions {
  /** The client address (for per-IP limits); 127.0.0.1 by default. */
  readonly ip?: string;
}

export interface PostOptions {
  /** The `_csrf` field: the last page's token by default; null leaves the field out. */
  readonly csrf?: string | null;
  /** The Origin header: this site by default; null sends none. */
  readonly origin?: string | null;
  readonly headers?: Record<string, string>;
}

/**
 * A cookie-keeping client over `app.inject`, enough to walk the pages like a browser: cookies
 * are stored and sent back, forms post with the CSRF token of the last page and our Origin.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last HTML page seen. */
  csrfToken: string | null = null;

  constructor(
    private readonly app: FastifyInstance,
    private readonly options: BrowserOptions = {},
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.request('GET', url, undefined, headers);
  }

  /** Posts a urlencoded form (repeated keys for arrays). */
  post(
    url: string,
    form: Record<string, string | readonly string[]> = {},
    options: PostOptions = {},
  ): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    const csrf = options.csrf === undefined ? this.csrfToken : options.csrf;
    if (csrf !== null) body.append('_csrf', csrf);
    for (const [name, value] of Object.entries(form)) {
      for (const item of typeof value === 'string' ? [value] : value) body.append(name, item);
    }
    const origin = options.origin === undefined ? TEST_ORIGIN : options.origin;
    return this.request('POST', url, body.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...(origin === null ? {} : { origin }),
      ...options.headers,
    });
  }

  private async request(
    method: 'GET' | 'POST',
    url: string,
    payload: string | undefined,
    headers: Record<string, string>,
  ): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method,
      url,
      remoteAddress: this.options.ip ?? '127.0.0.1',
      headers: {
        host: 'localhost',
        ...(this.cookies.size > 0 ? { cookie: this.cookieHeader } : {}),
        ...headers,
      },
      ...(payload === undefined ? {} : { payload }),
    });
    for (const cookie of response.cookies as {
      name: string;
      value: string;
      maxAge?: number;
      expires?: Date;
    }[]) {
      const expired =
        cookie.maxAge === 0 ||
        (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    if (String(response.headers['content-type']).startsWith('text/html')) {
      this.csrfToken = csrfTokenOf(response.body) ?? this.csrfToken;
    }
    return response;
  }
}
