import { NotFoundError } from '#src/lib/errors.ts';
import type { LinkAddresses } from '#src/modules/links/index.ts';
import type { AccountEmailJobs } from './account-emails.service.ts';
import { fieldErrors } from './errors.ts';
import type { AttemptThrottle } from './login-throttle.ts';
import { verifyPassword } from './passwords.ts';
import type { UserRow, UsersRepository } from './users.repository.ts';

/**
 * The port to an account's links, which the deletion removes by cascade rather than through the
 * links service: their addresses, read before they go, and the broadcast that makes every
 * process's redirect cache forget them.
 */
export interface OwnedLinks {
  addressesOf(userId: string): Promise<LinkAddresses>;
  forget(addresses: LinkAddresses): void;
}

export interface AccountDeletionDependencies {
  readonly users: Pick<UsersRepository, 'findById' | 'delete'>;
  /** The login's: a password guessed here spends the same budget as at the login form. */
  readonly throttle: AttemptThrottle;
  readonly links: OwnedLinks;
  readonly emailJobs: Pick<AccountEmailJobs, 'accountDeleted'>;
}

/** What went, for the page and the operator's line. */
export interface DeletedAccount {
  readonly email: string;
  readonly username: string;
  /** Links that stopped redirecting (codes; personal slugs are extra addresses of them). */
  readonly links: number;
}

const WRONG_PASSWORD = [
  {
    field: 'password',
    message:
      'That is not your password; nothing was deleted. After repeated failures, password checks pause for a few minutes.',
  },
];

/**
 * Deletes accounts, the owner's way (with the password) or staff's (`hoplink deleteuser`); both
 * end in the one `erase` (decision 0026).
 */
export function createAccountDeletionService(deps: AccountDeletionDependencies) {
  /**
   * Reads the links' addresses, deletes the user (everything it owns goes by cascade, in one
   * statement), tells every process to forget the addresses, then queues the email. The order
   * is the point: forgotten before the deletion, a link could be cached again from the rows
   * still there; and the caller answers only once the broadcast is out.
   */
  async function erase(row: UserRow): Promise<DeletedAccount> {
    const addresses = await deps.links.addressesOf(row.id);
    const deleted = await deps.users.delete(row.id);
    if (!deleted) throw new NotFoundError('There is no such account.');
    deps.links.forget(addresses);
    await deps.emailJobs.accountDeleted({ email: deleted.email, username: deleted.username });
    return { email: deleted.email, username: deleted.username, links: addresses.codes.length };
  }

  return {
    /**
     * The signed-in owner deletes their account, proving it with the password. The attempt is
     * counted first (the login's limits: TooManyAttemptsError past the IP's or the address's
     * budget); a wrong password, or a spent account budget, is a ValidationError on `password`
     * and deletes nothing.
     */
    async deleteOwn(
      userId: string,
      proof: { password: string; ip: string },
    ): Promise<DeletedAccount> {
      const row = await deps.users.findById(userId);
      if (!row) throw new NotFoundError('There is no such account.');
      const attempt = { ip: proof.ip, name: row.email, accountId: row.id };
      const verdict = await deps.throttle.count(attempt);
      if (verdict !== 'go' || !(await verifyPassword(row.passwordHash, proof.password))) {
        throw fieldErrors(WRONG_PASSWORD);
      }
      await deps.throttle.succeeded(attempt);
      return erase(row);
    },

    /** Staff delete an account (the `deleteuser` command): no password, the same erasure. */
    async deleteAsStaff(userId: string): Promise<DeletedAccount> {
      const row = await deps.users.findById(userId);
      if (!row) throw new NotFoundError('There is no such account.');
      return erase(row);
    },
  };
}

export type AccountDeletionService = ReturnType<typeof createAccountDeletionService>;
