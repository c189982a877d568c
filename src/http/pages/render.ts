import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SafeHtml } from '#src/lib/html.ts';
import type { ErrorPageContent } from '#src/http/plugins/error-handler.ts';
import { errorPage } from './views/error-page.ts';
import { layout } from './views/layout.ts';

export interface PageContent {
  readonly title: string;
  readonly body: SafeHtml;
}

/**
 * Sends a full HTML page: the view's content inside the layout, with the signed-in user, the
 * flash messages and the CSRF token the layout's forms need. Pages are never cached.
 */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  content: PageContent,
  statusCode = 200,
): FastifyReply {
  return reply
    .code(statusCode)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      layout({
        ...content,
        user: request.user,
        flashes: request.takeFlashes(),
        csrfToken: request.csrfToken(),
        assetUrl: request.server.assetUrl,
        currentPath: request.url.split('?')[0] ?? '/',
      }),
    );
}

/**
 * The site's error page for the error handler: within the site scope the request knows its user
 * (a 404 under /links, a refused form), and the page keeps their navigation and log-out button.
 * Elsewhere (the root, before the session hook ran, or when the session could not be read) there
 * is none, and the page is the anonymous one.
 */
export function renderErrorPage(content: ErrorPageContent, request: FastifyRequest): string {
  // `user` is decorated by the session plugin, so it is undefined outside the site scope.
  const user = (request.user as FastifyRequest['user'] | undefined) ?? null;
  return errorPage({ ...content, user, ...(user ? { csrfToken: request.csrfToken() } : {}) });
}
