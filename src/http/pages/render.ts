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
        signUpOpen: request.server.signUpOpen,
      }),
    );
}

/**
 * The site's error page for the error handler. Within the site scope the request knows its user,
 * and a refused form or a failure keeps their navigation and log-out button. A 404 never does:
 * every 404 must look the same wherever it comes from (the root's, for paths that match nothing,
 * knows no session), or the page would tell a path that exists for someone, such as the staff
 * area, from one that does not.
 */
export function renderErrorPage(content: ErrorPageContent, request: FastifyRequest): string {
  // `user` is decorated by the session plugin, so it is undefined outside the site scope.
  const user =
    content.statusCode === 404
      ? null
      : ((request.user as FastifyRequest['user'] | undefined) ?? null);
  return errorPage({
    ...content,
    user,
    signUpOpen: request.server.signUpOpen,
    ...(user ? { csrfToken: request.csrfToken() } : {}),
  });
}
