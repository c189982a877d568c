import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AppError, UnauthorizedError } from '#src/lib/errors.ts';
import type {
  ApiTokenIdentity,
  ApiTokenScope,
  ApiTokensService,
} from '#src/modules/accounts/index.ts';

/**
 * What a route of /api/v1 demands: `public` (no token), `authenticated` (any valid token), or a
 * scope the token must carry. Every API route declares one; a route without it fails at startup.
 */
export type ApiAccess = 'public' | 'authenticated' | ApiTokenScope;

declare module 'fastify' {
  interface FastifyRequest {
    /** The bearer token's identity on /api/v1 (null until authenticated, or without one). */
    apiToken: ApiTokenIdentity | null;
  }
  interface FastifyContextConfig {
    /** Who may call an /api/v1 route. */
    apiAccess?: ApiAccess;
  }
}

const REALM = 'realm="hoplink"';
const BEARER = /^Bearer +(\S+) *$/i;

interface BearerState {
  /** Whether an Authorization header was sent at all, and whether it was a well-formed Bearer. */
  readonly presented: 'none' | 'malformed' | 'token';
}

const states = new WeakMap<FastifyRequest, BearerState>();

/** 403 with the scope the route needs; never for another user's resource (that is a 404). */
export class InsufficientScopeError extends AppError {
  readonly scope: ApiTokenScope;

  constructor(scope: ApiTokenScope) {
    super('insufficient_scope', 403, `This token lacks the ${scope} scope.`);
    this.scope = scope;
  }
}

/**
 * First onRequest hook of the API: resolves `Authorization: Bearer <token>` to the token's
 * identity without refusing anything yet, so the rate limit can key on the token (or the IP)
 * before `requireApiAccess` answers 401/403. Cookies are never looked at.
 */
export function identifyBearer(
  apiTokens: Pick<ApiTokensService, 'authenticate'>,
): onRequestAsyncHookHandler {
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '') {
      states.set(request, { presented: 'none' });
      return;
    }
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) {
      states.set(request, { presented: 'malformed' });
      return;
    }
    states.set(request, { presented: 'token' });
    request.apiToken = await apiTokens.authenticate(token);
  };
}

/** RFC 6750 §3: a 401 names the scheme; a rejected token says `invalid_token`. */
function refuse(request: FastifyRequest, reply: FastifyReply): never {
  const presented = states.get(request)?.presented ?? 'none';
  if (presented === 'token') {
    reply.header(
      'www-authenticate',
      `Bearer ${REALM}, error="invalid_token", error_description="The token is unknown or revoked."`,
    );
    throw new UnauthorizedError('The API token is not valid: it is unknown or revoked.');
  }
  reply.header('www-authenticate', `Bearer ${REALM}`);
  throw new UnauthorizedError(
    presented === 'malformed'
      ? 'Send the API token as `Authorization: Bearer <token>`.'
      : 'An API token is required: send `Authorization: Bearer <token>`.',
  );
}

/** Refuses, per the route's `apiAccess`: 401 without a valid token, 403 without the scope. */
export const requireApiAccess: onRequestAsyncHookHandler = async (request, reply) => {
  const access = request.routeOptions.config.apiAccess;
  if (access === 'public') return;
  const identity = request.apiToken;
  if (!identity) refuse(request, reply);
  if (access === undefined || access === 'authenticated') return;
  if (!identity.scopes.includes(access)) {
    reply.header(
      'www-authenticate',
      `Bearer ${REALM}, error="insufficient_scope", scope="${access}"`,
    );
    throw new InsufficientScopeError(access);
  }
};

/** The identity of an authenticated route's caller (the hooks guarantee one). */
export function callerOf(request: FastifyRequest): ApiTokenIdentity {
  if (!request.apiToken) throw new UnauthorizedError();
  return request.apiToken;
}
