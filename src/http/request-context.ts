/**
 * What the cross-cutting plugins add to every request and reply. Declared once here so pages,
 * API routes and plugins agree on the shape; the session plugin (accounts) implements them.
 */
export interface CurrentUser {
  readonly id: string;
  readonly email: string;
  readonly username: string;
  readonly isStaff: boolean;
  /**
   * The account's address waits for confirmation and EMAIL_VERIFICATION keeps it from creating
   * links meanwhile: pages show a banner offering a new link. Absent means false.
   */
  readonly mustVerifyEmail?: boolean;
}

export type FlashKind = 'success' | 'info' | 'error';

export interface Flash {
  readonly kind: FlashKind;
  readonly message: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * REGISTRATION_MODE is `open`: pages offer "Sign up". Decorated at the root, so every page,
     * error pages included, shows the same header whichever scope drew it.
     */
    signUpOpen: boolean;
  }
  interface FastifyRequest {
    /** The signed-in user (session cookie), or null. */
    user: CurrentUser | null;
    /** The CSRF token to embed in this page's forms. */
    csrfToken(): string;
    /** Flash messages queued by an earlier request, consumed when read. */
    takeFlashes(): Flash[];
  }
  interface FastifyReply {
    /** Queues a message for the next page this browser sees (after a redirect). */
    flash(kind: FlashKind, message: string): void;
  }
}
