import type { Transactor } from '#src/db/transaction.ts';
import { emailProblem, normalizeEmail } from './account-rules.ts';
import type { AccountEmailJobs } from './account-emails.service.ts';
import { fieldErrors } from './errors.ts';
import type { InvitationRow, InvitationsRepository } from './invitations.repository.ts';
import { hashToken } from './secret-tokens.ts';
import type { UsersRepository } from './users.repository.ts';

export type InvitationStatus = 'pending' | 'used' | 'expired' | 'revoked';

/** An invitation as staff see it; never its token (only the email holds that). */
export interface Invitation {
  readonly id: string;
  readonly email: string;
  readonly status: InvitationStatus;
  /** The username of the staff member who made it; null from the command line. */
  readonly invitedBy: string | null;
  /** The username of the account it made, while that account exists. */
  readonly usedBy: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface InvitationsServiceDependencies {
  readonly invitations: Pick<
    InvitationsRepository,
    'insert' | 'listRecent' | 'revoke' | 'revokePendingFor' | 'findPendingByToken'
  >;
  readonly users: Pick<UsersRepository, 'findByEmail'>;
  readonly transaction: Transactor;
  /** Where the invitation email is asked for; its job mints the link. */
  readonly emailJobs: Pick<AccountEmailJobs, 'invitation'>;
  /** INVITATION_TTL. */
  readonly ttlMs: number;
  readonly now?: () => Date;
}

/** The newest invitations the staff page lists; older ones stay in the table. */
export const INVITATIONS_LISTED = 100;

function statusOf(row: InvitationRow, at: Date): InvitationStatus {
  if (row.revokedAt) return 'revoked';
  if (row.usedAt) return 'used';
  return row.expiresAt.getTime() <= at.getTime() ? 'expired' : 'pending';
}

export function createInvitationsService(deps: InvitationsServiceDependencies) {
  const now = deps.now ?? (() => new Date());

  function present(
    row: InvitationRow & { invitedByUsername?: string | null; usedByUsername?: string | null },
    at: Date,
  ): Invitation {
    return {
      id: row.id,
      email: row.email,
      status: statusOf(row, at),
      invitedBy: row.invitedByUsername ?? null,
      usedBy: row.usedByUsername ?? null,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
    };
  }

  return {
    /**
     * Invites an address: a single-use link, valid for INVITATION_TTL, is emailed to it by a job.
     * A pending invitation to the same address is revoked, so re-inviting is how staff resend.
     * ValidationError for a malformed address or one that already has an account (staff may
     * know: they are not probing, and the invitation would be useless).
     */
    async create(input: { email: string; invitedBy: string | null }): Promise<Invitation> {
      const email = normalizeEmail(input.email);
      const problem = emailProblem(email);
      if (problem) throw fieldErrors([{ field: 'email', message: problem }]);
      if (await deps.users.findByEmail(email)) {
        throw fieldErrors([
          { field: 'email', message: 'An account with this email address already exists.' },
        ]);
      }
      const at = now();
      const row = await deps.transaction(async (tx) => {
        await deps.invitations.revokePendingFor(email, at, tx);
        return deps.invitations.insert(
          {
            email,
            invitedBy: input.invitedBy,
            expiresAt: new Date(at.getTime() + deps.ttlMs),
          },
          tx,
        );
      });
      await deps.emailJobs.invitation(row.id);
      return present(row, at);
    },

    /** The newest invitations, newest first, each with its status now. */
    async list(): Promise<Invitation[]> {
      const at = now();
      const rows = await deps.invitations.listRecent(INVITATIONS_LISTED);
      return rows.map((row) => present(row, at));
    },

    /** Revokes a pending invitation; null when it was used, revoked or expired already. */
    async revoke(id: string): Promise<Invitation | null> {
      const at = now();
      const row = await deps.invitations.revoke(id, at);
      return row ? present(row, at) : null;
    },

    /** The address a link from an invitation email is for, while the invitation is pending. */
    async check(token: string): Promise<{ readonly email: string } | null> {
      if (token === '') return null;
      const row = await deps.invitations.findPendingByToken(hashToken(token), now());
      return row ? { email: row.email } : null;
    },
  };
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;
