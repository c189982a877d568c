import { hashToken, randomToken } from './secret-tokens.ts';
import type { SessionRow, SessionsRepository } from './sessions.repository.ts';
import { toUser, type User } from './user.ts';

/** Writing last_seen_at on every request would turn reads into writes; once a minute is enough. */
const TOUCH_INTERVAL_MS = 60_000;

export interface SessionsServiceDependencies {
  readonly sessions: Pick<
    SessionsRepository,
    | 'insert'
    | 'findByTokenHash'
    | 'touch'
    | 'delete'
    | 'deleteForUser'
    | 'deleteExpiredForUser'
    | 'deleteExpired'
  >;
  /** Idle expiry: a session ends this long after its last request (SESSION_COOKIE_AGE). */
  readonly idleMs: number;
  /** Absolute expiry: a session ends this long after login whatever happens (SESSION_MAX_AGE). */
  readonly maxAgeMs: number;
  readonly now?: () => Date;
}

/** A live session as the web layer needs it. */
export interface ActiveSession {
  readonly id: string;
  readonly csrfSecret: string;
  /** When the cookie should expire (idle and absolute limits both applied). */
  readonly expiresAt: Date;
  /** True when the expiry moved, so the cookie's Max-Age should be sent again. */
  readonly renewed: boolean;
}

export interface SessionStart {
  /** Goes into the cookie only; the database keeps its hash. */
  readonly token: string;
  readonly session: ActiveSession;
}

export function createSessionsService(deps: SessionsServiceDependencies) {
  const now = deps.now ?? (() => new Date());
  const expiryFrom = (createdAt: Date, seenAt: Date) =>
    new Date(Math.min(seenAt.getTime() + deps.idleMs, createdAt.getTime() + deps.maxAgeMs));
  const isLive = (row: SessionRow, at: Date) =>
    row.expiresAt > at &&
    row.lastSeenAt.getTime() + deps.idleMs > at.getTime() &&
    row.createdAt.getTime() + deps.maxAgeMs > at.getTime();

  return {
    /** Opens a session for a user who just proved who they are; the token goes to the cookie. */
    async start(
      userId: string,
      details: { csrfSecret: string; ip?: string | null; userAgent?: string | null },
    ): Promise<SessionStart> {
      const at = now();
      await deps.sessions.deleteExpiredForUser(userId, at);
      const token = randomToken();
      const row = await deps.sessions.insert({
        userId,
        tokenHash: hashToken(token),
        csrfSecret: details.csrfSecret,
        // The service's clock, not the database's, so the expiry arithmetic has one time source.
        createdAt: at,
        lastSeenAt: at,
        expiresAt: expiryFrom(at, at),
        ip: details.ip ?? null,
        userAgent: details.userAgent?.slice(0, 512) ?? null,
      });
      return {
        token,
        session: {
          id: row.id,
          csrfSecret: row.csrfSecret,
          expiresAt: row.expiresAt,
          renewed: true,
        },
      };
    },

    /**
     * The session and active user a cookie's token stands for, or null when it is unknown,
     * expired (idle or absolute) or its user was deactivated. Slides the idle expiry forward.
     */
    async resolve(token: string): Promise<{ session: ActiveSession; user: User } | null> {
      const found = await deps.sessions.findByTokenHash(hashToken(token));
      if (!found) return null;
      const at = now();
      if (!isLive(found.session, at) || !found.user.isActive) {
        await deps.sessions.delete(found.session.id);
        return null;
      }
      let { expiresAt } = found.session;
      let renewed = false;
      if (at.getTime() - found.session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
        expiresAt = expiryFrom(found.session.createdAt, at);
        await deps.sessions.touch(found.session.id, at, expiresAt);
        renewed = true;
      }
      return {
        session: { id: found.session.id, csrfSecret: found.session.csrfSecret, expiresAt, renewed },
        user: toUser(found.user),
      };
    },

    /** Logs a browser out: its session row is gone, so the cookie means nothing any more. */
    async end(sessionId: string): Promise<void> {
      await deps.sessions.delete(sessionId);
    },

    /**
     * Deletes the sessions `resolve` would refuse (idle or absolute expiry passed at `at`), for
     * the scheduled purge; returns how many went. Live sessions are untouched.
     */
    purgeExpired(at: Date = now()): Promise<number> {
      return deps.sessions.deleteExpired(at, { idleMs: deps.idleMs, maxAgeMs: deps.maxAgeMs });
    },

    /** Logs a user out everywhere, or everywhere but the session that asked. */
    revokeAll(userId: string, options: { exceptSessionId?: string | null } = {}): Promise<number> {
      return deps.sessions.deleteForUser(userId, { exceptId: options.exceptSessionId ?? null });
    },
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
