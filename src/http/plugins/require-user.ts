import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CurrentUser } from '#src/http/request-context.ts';
import { UnauthorizedError } from '#src/lib/errors.ts';

/**
 * The hook of the signed-in pages' scope: an anonymous visitor is sent to the login form (coming
 * back here afterwards). It runs at onRequest, before a body is even read.
 */
export async function requireUser(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (request.user) return undefined;
  // After a POST the form is gone; coming back to its page (a GET) is the useful destination.
  return reply.redirect(`/accounts/login?next=${encodeURIComponent(request.url)}`, 303);
}

/** The user `requireUser` let through (a route without it gets 401 rather than a crash). */
export function signedInUser(request: FastifyRequest): CurrentUser {
  if (!request.user) throw new UnauthorizedError();
  return request.user;
}
