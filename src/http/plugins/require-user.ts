import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CurrentUser } from '#src/http/request-context.ts';
import { UnauthorizedError } from '#src/lib/errors.ts';

/**
 * preHandler for routes that need a signed-in user: pages send the browser to the login form
 * (coming back here afterwards); the API answers 401.
 */
export async function requireUser(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (request.user) return undefined;
  if (request.url.startsWith('/api/')) throw new UnauthorizedError();
  // After a POST the form is gone; coming back to its page (a GET) is the useful destination.
  return reply.redirect(`/accounts/login?next=${encodeURIComponent(request.url)}`, 303);
}

/** The user `requireUser` let through (a route without it gets 401 rather than a crash). */
export function signedInUser(request: FastifyRequest): CurrentUser {
  if (!request.user) throw new UnauthorizedError();
  return request.user;
}

/** C0 controls and DEL: browsers drop some from URLs, which would turn `/\t/x` into `//x`. */
function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Where to go after login: `next` when it is a path on this site, `/` otherwise. Refuses
 * `//evil.example`, `/\evil.example`, absolute URLs and control characters (no open redirect).
 */
export function safeNextPath(next: unknown): string {
  if (
    typeof next !== 'string' ||
    !next.startsWith('/') ||
    next.includes('\\') ||
    hasControlCharacter(next)
  ) {
    return '/';
  }
  try {
    const base = new URL('http://hoplink.invalid');
    const url = new URL(next, base);
    if (url.origin !== base.origin || next.startsWith('//')) return '/';
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return '/';
  }
}
