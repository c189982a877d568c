import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SafeHtml } from '#src/lib/html.ts';
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
