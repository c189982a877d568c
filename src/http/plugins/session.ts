import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ActiveSession, SessionsService, User } from '#src/modules/accounts/index.ts';
import type { Settings } from '#src/settings/index.ts';
import type { CurrentUser, Flash, FlashKind } from '#src/http/request-context.ts';
import { clearCookie, cookieSpec, readSignedCookie, type CookieSpec } from './cookies.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in session (null when anonymous). */
    session: ActiveSession | null;
  }
  interface FastifyReply {
    /** Signs a user in: a new session and cookie (never the old token: rotation), a new CSRF secret. */
    logIn(user: User): Promise<void>;
    /** Ends this browser's session and clears its cookie. */
    logOut(): Promise<void>;
  }
}

const FLASH_MAX_AGE_S = 60;
const FLASH_LIMIT = 5;

export interface SessionPluginOptions {
  readonly settings: Settings;
  readonly sessions: SessionsService;
}

interface FlashState {
  readonly reply: FastifyReply;
  /** Flashes this request received (until taken). */
  incoming: Flash[];
  taken: boolean;
  outgoing: Flash[];
}

const flashStates = new WeakMap<FastifyRequest, FlashState>();

/** `emailVerification`: EMAIL_VERIFICATION, which makes an unconfirmed address matter. */
function toCurrentUser(user: User, emailVerification: boolean): CurrentUser {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    isStaff: user.isStaff,
    mustVerifyEmail: emailVerification && !user.emailVerified,
  };
}

function decodeFlashes(value: string | undefined): Flash[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (item): item is Flash =>
        typeof (item as Flash | null)?.message === 'string' &&
        ['success', 'info', 'error'].includes((item as Flash).kind),
    );
  } catch {
    return [];
  }
}

/**
 * Server-side sessions: the cookie holds a random token (signed, HttpOnly, SameSite=Lax,
 * `__Host-` when Secure), the database its SHA-256. Each request resolves the cookie to
 * `request.user`; the idle expiry slides (written at most once a minute), the absolute one does
 * not. Also flash messages, carried to the next page in a short-lived signed cookie.
 */
export const sessionPlugin = fp<SessionPluginOptions>(
  (app, { settings, sessions }, done) => {
    const sessionCookie: CookieSpec = cookieSpec('hoplink_session', settings.sessionCookieSecure);
    const flashCookie: CookieSpec = cookieSpec('hoplink_flash', settings.sessionCookieSecure);

    function setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date): void {
      const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
      void reply.setCookie(sessionCookie.name, token, { ...sessionCookie.options, maxAge });
    }

    app.decorateRequest('user', null);
    app.decorateRequest('session', null);

    app.addHook('onRequest', async (request, reply) => {
      flashStates.set(request, { reply, incoming: [], taken: false, outgoing: [] });
      const state = flashStates.get(request);
      if (state) state.incoming = decodeFlashes(readSignedCookie(request, flashCookie.name)?.value);

      if (request.cookies[sessionCookie.name] === undefined) return;
      const cookie = readSignedCookie(request, sessionCookie.name);
      const resolved = cookie ? await sessions.resolve(cookie.value) : null;
      if (!cookie || !resolved) {
        clearCookie(reply, sessionCookie);
        return;
      }
      request.session = resolved.session;
      request.user = toCurrentUser(resolved.user, settings.emailVerification);
      if (resolved.session.renewed || cookie.resign) {
        setSessionCookie(reply, cookie.value, resolved.session.expiresAt);
      }
    });

    app.decorateReply('logIn', async function (this: FastifyReply, user: User) {
      const { request } = this;
      if (request.session) await sessions.end(request.session.id);
      const started = await sessions.start(user.id, {
        csrfSecret: this.rotateCsrfSecret(),
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      });
      setSessionCookie(this, started.token, started.session.expiresAt);
      request.session = started.session;
      request.user = toCurrentUser(user, settings.emailVerification);
    });

    app.decorateReply('logOut', async function (this: FastifyReply) {
      const { request } = this;
      if (request.session) await sessions.end(request.session.id);
      clearCookie(this, sessionCookie);
      this.rotateCsrfSecret();
      request.session = null;
      request.user = null;
    });

    /** Writes what the next page should show: unread incoming flashes, then the new ones. */
    function storeFlashes(state: FlashState): void {
      const pending = [...(state.taken ? [] : state.incoming), ...state.outgoing].slice(
        -FLASH_LIMIT,
      );
      if (pending.length === 0) {
        clearCookie(state.reply, flashCookie);
        return;
      }
      void state.reply.setCookie(
        flashCookie.name,
        Buffer.from(JSON.stringify(pending)).toString('base64url'),
        { ...flashCookie.options, maxAge: FLASH_MAX_AGE_S },
      );
    }

    app.decorateRequest('takeFlashes', function (this: FastifyRequest) {
      const state = flashStates.get(this);
      if (!state || state.taken) return [];
      state.taken = true;
      if (state.incoming.length > 0 || state.outgoing.length > 0) storeFlashes(state);
      return state.incoming;
    });

    app.decorateReply('flash', function (this: FastifyReply, kind: FlashKind, message: string) {
      const state = flashStates.get(this.request);
      if (!state) return;
      state.outgoing.push({ kind, message });
      storeFlashes(state);
    });
    done();
  },
  { name: 'hoplink-session', dependencies: ['hoplink-cookies', 'hoplink-csrf'] },
);
