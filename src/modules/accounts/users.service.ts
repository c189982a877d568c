import type { Transactor } from '#src/db/transaction.ts';
import {
  emailProblem,
  normalizeEmail,
  normalizeUsername,
  usernameProblem,
  type FieldError,
} from './account-rules.ts';
import type { AccountEmailJobs } from './account-emails.service.ts';
import {
  fieldErrors,
  InvalidCredentialsError,
  InvalidInvitationError,
  SignUpClosedError,
} from './errors.ts';
import type { InvitationsRepository } from './invitations.repository.ts';
import type { AttemptThrottle } from './login-throttle.ts';
import { validatePassword } from './password-validators.ts';
import {
  hashPassword,
  passwordNeedsRehash,
  PASSWORD_HASH_PARAMETERS,
  spendVerifyTime,
  verifyPassword,
  type HashParameters,
} from './passwords.ts';
import type { ResetTokensRepository } from './reset-tokens.repository.ts';
import { hashToken } from './secret-tokens.ts';
import type { SessionsRepository } from './sessions.repository.ts';
import { toUser, type User } from './user.ts';
import type { UserRow, UsersRepository, UserWriteResult } from './users.repository.ts';
import type { VerificationTokensRepository } from './verification-tokens.repository.ts';

/** REGISTRATION_MODE: who may create an account (decision 0027). */
export type RegistrationMode = 'open' | 'invite' | 'closed';

export interface UsersServiceDependencies {
  readonly users: Pick<
    UsersRepository,
    | 'insert'
    | 'findById'
    | 'findByEmail'
    | 'findByUsername'
    | 'update'
    | 'setPasswordHash'
    | 'recordLogin'
  >;
  readonly sessions: Pick<SessionsRepository, 'deleteForUser'>;
  readonly resetTokens: Pick<ResetTokensRepository, 'deleteUnusedForUser'>;
  readonly invitations: Pick<InvitationsRepository, 'findPendingByToken' | 'consume'>;
  /** A changed address voids the links sent to confirm the old one. */
  readonly verificationTokens: Pick<VerificationTokensRepository, 'deleteUnusedForUser'>;
  readonly transaction: Transactor;
  readonly loginThrottle: AttemptThrottle;
  /** Valid sign-ups per IP and per address (SIGN_UP_POLICY). */
  readonly signUpThrottle: AttemptThrottle;
  /** Where the sign-up emails are asked for (jobs send them): welcome or a confirmation link, or "you have one". */
  readonly emailJobs: Pick<AccountEmailJobs, 'welcome' | 'accountExists' | 'emailVerification'>;
  /** REGISTRATION_MODE: the sign-up form creates accounts only when it is `open`. */
  readonly registrationMode: RegistrationMode;
  /** EMAIL_VERIFICATION: new addresses wait for confirmation; off, they count as confirmed. */
  readonly emailVerification: boolean;
  /** PASSWORD_MIN_LENGTH. */
  readonly passwordMinLength: number;
  /** Today's Argon2id cost; older hashes are upgraded at the next login. */
  readonly hashParameters?: HashParameters;
  /** First path segments the configuration takes (ADMIN_PATH's): no username may take one. */
  readonly reservedWords?: readonly string[];
  readonly now?: () => Date;
}

/** What a sign-up form or `createsuperuser` submits; raw text, normalised here. */
export interface NewAccountInput {
  readonly email: string;
  readonly username: string;
  readonly password: string;
}

/** A sign-up from the site: the account's fields and the client's address (for its limit). */
export interface SignUpInput extends NewAccountInput {
  readonly ip: string;
}

/** A sign-up through an invitation's link: its token fixes the address. */
export interface InvitedSignUpInput {
  readonly token: string;
  readonly username: string;
  readonly password: string;
}

const CONFLICT_MESSAGES = {
  email: 'An account with this email address already exists.',
  username: 'This username is taken; choose another.',
} as const;

// Said to the holder of an invitation only: the link proves the address is theirs.
const INVITED_ADDRESS_TAKEN =
  'This address has an account already: log in, or reset its password if you forgot it.';

export function createUsersService(deps: UsersServiceDependencies) {
  const parameters = deps.hashParameters ?? PASSWORD_HASH_PARAMETERS;
  const reserved = new Set((deps.reservedWords ?? []).map((word) => word.toLowerCase()));
  const now = deps.now ?? (() => new Date());

  function identityErrors(email: string, username: string): FieldError[] {
    const errors: FieldError[] = [];
    const emailMessage = emailProblem(email);
    if (emailMessage) errors.push({ field: 'email', message: emailMessage });
    const usernameMessage = usernameProblem(username, reserved);
    if (usernameMessage) errors.push({ field: 'username', message: usernameMessage });
    return errors;
  }

  /** Friendly duplicate messages before writing; the unique indexes stay the final word. */
  async function takenErrors(email: string, username: string, selfId?: string) {
    const errors: FieldError[] = [];
    const byEmail = await deps.users.findByEmail(email);
    if (byEmail && byEmail.id !== selfId) {
      errors.push({ field: 'email', message: CONFLICT_MESSAGES.email });
    }
    const byUsername = await deps.users.findByUsername(username);
    if (byUsername && byUsername.id !== selfId) {
      errors.push({ field: 'username', message: CONFLICT_MESSAGES.username });
    }
    return errors;
  }

  function written(result: UserWriteResult): User {
    if (!result.ok) {
      throw fieldErrors([{ field: result.conflict, message: CONFLICT_MESSAGES[result.conflict] }]);
    }
    return toUser(result.user);
  }

  function passwordErrors(field: string, password: string, email: string, username: string) {
    return validatePassword(password, {
      minLength: deps.passwordMinLength,
      email,
      username,
    }).map((message) => ({ field, message }));
  }

  /** Problems with the form itself, which say nothing about anyone else's account. */
  function formErrors(input: NewAccountInput) {
    const email = normalizeEmail(input.email);
    const username = normalizeUsername(input.username);
    const errors = [
      ...identityErrors(email, username),
      ...passwordErrors('password', input.password, email, username),
    ];
    return { email, username, errors };
  }

  /** Signs up, or tells the address's owner someone tried; the caller cannot tell which. */
  async function signUp(input: SignUpInput): Promise<void> {
    if (deps.registrationMode !== 'open') throw new SignUpClosedError(deps.registrationMode);
    const { email, username, errors } = formErrors(input);
    if (errors.length > 0) throw fieldErrors(errors);
    // Usernames are public (/<username>/<slug>): saying one is taken reveals nothing new.
    if (await deps.users.findByUsername(username)) {
      throw fieldErrors([{ field: 'username', message: CONFLICT_MESSAGES.username }]);
    }
    await deps.signUpThrottle.count({ ip: input.ip, name: email });
    // Hashed before looking at the address, so both outcomes cost the same time.
    const passwordHash = await hashPassword(input.password, parameters);
    const owner = await deps.users.findByEmail(email);
    if (owner) {
      await deps.emailJobs.accountExists(owner.id);
      return;
    }
    const result = await deps.users.insert({
      email,
      username,
      passwordHash,
      isStaff: false,
      // Verification off: the account counts as confirmed, so turning it on later spares it.
      emailVerifiedAt: deps.emailVerification ? null : now(),
    });
    if (result.ok) {
      await (deps.emailVerification
        ? deps.emailJobs.emailVerification(result.user.id)
        : deps.emailJobs.welcome(result.user.id));
      return;
    }
    if (result.conflict === 'username') {
      throw fieldErrors([{ field: 'username', message: CONFLICT_MESSAGES.username }]);
    }
    // Another sign-up took the address a moment ago: its owner hears of this one.
    const winner = await deps.users.findByEmail(email);
    if (winner) await deps.emailJobs.accountExists(winner.id);
  }

  async function createAccount(input: NewAccountInput, isStaff: boolean): Promise<User> {
    const { email, username, errors } = formErrors(input);
    if (errors.length === 0) errors.push(...(await takenErrors(email, username)));
    if (errors.length > 0) throw fieldErrors(errors);
    const passwordHash = await hashPassword(input.password, parameters);
    // An operator typed the address themselves: there is nobody to confirm it to.
    return written(
      await deps.users.insert({ email, username, passwordHash, isStaff, emailVerifiedAt: now() }),
    );
  }

  async function signUpInvited(input: InvitedSignUpInput): Promise<User> {
    const tokenHash = hashToken(input.token);
    const invitation =
      input.token === '' ? null : await deps.invitations.findPendingByToken(tokenHash, now());
    if (!invitation) throw new InvalidInvitationError();
    const { email, username, errors } = formErrors({ ...input, email: invitation.email });
    if (errors.length > 0) throw fieldErrors(errors);
    if (await deps.users.findByUsername(username)) {
      throw fieldErrors([{ field: 'username', message: CONFLICT_MESSAGES.username }]);
    }
    if (await deps.users.findByEmail(email)) {
      throw fieldErrors([{ field: 'email', message: INVITED_ADDRESS_TAKEN }]);
    }
    const passwordHash = await hashPassword(input.password, parameters);
    const row = await deps.transaction(async (tx) => {
      const at = now();
      // The invitation went to this address: it is confirmed by construction.
      const result = await deps.users.insert(
        { email, username, passwordHash, isStaff: false, emailVerifiedAt: at },
        tx,
      );
      if (!result.ok) {
        throw fieldErrors([
          {
            field: result.conflict,
            message:
              result.conflict === 'email' ? INVITED_ADDRESS_TAKEN : CONFLICT_MESSAGES.username,
          },
        ]);
      }
      // In the same transaction: the account exists if and only if the invitation is spent.
      if (!(await deps.invitations.consume(tokenHash, result.user.id, at, tx))) {
        throw new InvalidInvitationError();
      }
      return result.user;
    });
    await deps.emailJobs.welcome(row.id);
    return toUser(row);
  }

  /** Finds the account a login form names: an email when it has an @, a username otherwise. */
  function findByLogin(login: string): Promise<UserRow | null> {
    return login.includes('@')
      ? deps.users.findByEmail(normalizeEmail(login))
      : deps.users.findByUsername(normalizeUsername(login));
  }

  return {
    /**
     * A sign-up from the site. ValidationError lists every problem with the form at once, and a
     * taken username; TooManyAttemptsError past SIGN_UP_POLICY. Otherwise it resolves the same
     * way whether the address was free (the account is created, a welcome email sent) or
     * already had an account (its owner is emailed, nothing else changes): the answer to the
     * visitor must not tell which (docs/decisions/0012).
     */
    register(input: SignUpInput): Promise<void> {
      return signUp(input);
    },

    /**
     * A sign-up through an invitation's link, in any REGISTRATION_MODE: the invitation's address,
     * the username and password chosen here. The account is created confirmed and the invitation
     * spent in one transaction. InvalidInvitationError when the link is unknown, used, revoked or
     * expired; ValidationError for the form, a taken username, or an address that got an
     * account meanwhile (the link's holder owns the address, so saying so reveals nothing).
     */
    registerInvited(input: InvitedSignUpInput): Promise<User> {
      return signUpInvited(input);
    },

    /**
     * A staff account (the `createsuperuser` command); same rules as sign-up, but the operator
     * is told plainly when the address is taken.
     */
    createSuperuser(input: NewAccountInput): Promise<User> {
      return createAccount(input, true);
    },

    /**
     * Checks a login (email or username) and password. Unknown account, wrong password,
     * deactivated account and paused account all raise the same InvalidCredentialsError after
     * the same work (an Argon2id verification, against a dummy hash when there is no account to
     * check). The attempt is counted before the password is looked at (see AttemptThrottle);
     * past the IP's or the name's budget TooManyAttemptsError is raised instead. Upgrades the
     * stored hash when its parameters are old.
     */
    async logIn(credentials: { login: string; password: string; ip: string }): Promise<User> {
      const login = credentials.login.trim();
      const row = login === '' ? null : await findByLogin(login);
      const attempt = { ip: credentials.ip, name: login, accountId: row?.id ?? null };
      const verdict = await deps.loginThrottle.count(attempt);
      let valid = false;
      if (row && verdict === 'go') {
        valid = await verifyPassword(row.passwordHash, credentials.password);
      } else {
        await spendVerifyTime(credentials.password);
      }
      if (!row || !valid || !row.isActive) throw new InvalidCredentialsError();
      await deps.loginThrottle.succeeded(attempt);
      if (passwordNeedsRehash(row.passwordHash, parameters)) {
        await deps.users.setPasswordHash(
          row.id,
          await hashPassword(credentials.password, parameters),
        );
      }
      await deps.users.recordLogin(row.id);
      return toUser(row);
    },

    async findById(id: string): Promise<User | null> {
      const row = await deps.users.findById(id);
      return row ? toUser(row) : null;
    },

    async findByEmail(email: string): Promise<User | null> {
      const row = await deps.users.findByEmail(normalizeEmail(email));
      return row ? toUser(row) : null;
    },

    /**
     * Changes email and username (both required, as the profile form shows both). With
     * EMAIL_VERIFICATION on, a new address waits for confirmation like a new account's: a link
     * is emailed to it, and links cannot be created meanwhile.
     */
    async updateProfile(userId: string, input: { email: string; username: string }): Promise<User> {
      const email = normalizeEmail(input.email);
      const username = normalizeUsername(input.username);
      const errors = identityErrors(email, username);
      if (errors.length === 0) errors.push(...(await takenErrors(email, username, userId)));
      if (errors.length > 0) throw fieldErrors(errors);
      const current = await deps.users.findById(userId);
      const confirmAgain =
        deps.emailVerification &&
        current !== null &&
        current.email.toLowerCase() !== email.toLowerCase();
      if (!confirmAgain) return written(await deps.users.update(userId, { email, username }));
      const user = written(
        await deps.users.update(userId, { email, username, emailVerifiedAt: null }),
      );
      await deps.verificationTokens.deleteUnusedForUser(userId);
      await deps.emailJobs.emailVerification(userId);
      return user;
    },

    /**
     * Changes the password after checking the current one, then ends the user's other sessions
     * (a thief's among them) and voids outstanding reset links.
     */
    async changePassword(
      userId: string,
      input: { currentPassword: string; newPassword: string; keepSessionId: string | null },
    ): Promise<void> {
      const row = await deps.users.findById(userId);
      if (!row) throw new InvalidCredentialsError();
      if (!(await verifyPassword(row.passwordHash, input.currentPassword))) {
        throw fieldErrors([
          { field: 'currentPassword', message: 'Your current password is not correct.' },
        ]);
      }
      const errors = passwordErrors('newPassword', input.newPassword, row.email, row.username);
      if (errors.length > 0) throw fieldErrors(errors);
      const passwordHash = await hashPassword(input.newPassword, parameters);
      await deps.transaction(async (tx) => {
        await deps.users.setPasswordHash(userId, passwordHash, tx);
        await deps.sessions.deleteForUser(userId, { exceptId: input.keepSessionId }, tx);
        await deps.resetTokens.deleteUnusedForUser(userId, tx);
      });
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
