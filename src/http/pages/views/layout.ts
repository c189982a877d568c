import { html, type SafeHtml } from '#src/lib/html.ts';

export interface LayoutOptions {
  readonly title: string;
  readonly body: SafeHtml;
}

/** The page shell every server-rendered page shares. */
export function layout({ title, body }: LayoutOptions): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>${title} · Hoplink</title>
      </head>
      <body>
        <header><a href="/">Hoplink</a></header>
        <main>${body}</main>
      </body>
    </html> `.value;
}
