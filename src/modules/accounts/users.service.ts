import {
  emailProblem,
  normalizeEmail,
  normalizeUsername,
  usernameProblem,
  type FieldError,
} from './account-rules.ts';
import type { AccountEmailJobs } from './account-emails.service.ts';
import { fieldErrors, InvalidCredentialsError } from './errors.ts';
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
import type { SessionsRepository } from './sessions.repository.ts';
import { toUser, type User } from './user.ts';
import type { Transactor, UserRow, UsersRepository, UserWriteResult } from './users.repository.ts';

export interface UsersServiceDependencies {
  readonly users: UsersRepository;
  readonly sessions: Pick<SessionsRepository, 'deleteForUser'>;
  readonly resetTokens: Pick<ResetTokensRepository, 'deleteUnusedForUser'>;
  readonly transaction: Transactor;
  readonly loginThrottle: AttemptThrottle;
  /** Where the welcome email is asked for after sign-up (a job sends it). */
  readonly emailJobs: Pick<AccountEmailJobs, 'welcome'>;
  /** PASSWORD_MIN_LENGTH. */
  readonly passwordMinLength: number;
  /** Today's Argon2id cost; older hashes are upgraded at the next login. */
  readonly hashParameters?: HashParameters;
  /** First path segments the configuration takes (ADMIN_PATH's): no username may take one. */
  readonly reservedWords?: readonly string[];
}

/** What a sign-up form or `createsuperuser` submits; raw text, normalised here. */
export interface NewAccountInput {
  readonly email: string;
  readonly username: string;
  readonly password: string;
}

const CONFLICT_MESSAGES = {
  email: 'An account with this email address already exists.',
  username: 'This username is taken; choose another.',
} as const;

export function createUsersService(deps: UsersServiceDependencies) {
  const parameters = deps.hashParameters ?? PASSWORD_HASH_PARAMETERS;
  const reserved = new Set((deps.reservedWords ?? []).map((word) => word.toLowerCase()));

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

  async function createAccount(input: NewAccountInput, isStaff: boolean): Promise<User> {
    const email = normalizeEmail(input.email);
    const username = normalizeUsername(input.username);
    const errors = [
      ...identityErrors(email, username),
      ...passwordErrors('password', input.password, email, username),
    ];
    if (errors.length === 0) errors.push(...(await takenErrors(email, username)));
    if (errors.length > 0) throw fieldErrors(errors);
    const passwordHash = await hashPassword(input.password, parameters);
    return written(await deps.users.insert({ email, username, passwordHash, isStaff }));
  }

  /** Finds the account a login form names: an email when it has an @, a username otherwise. */
  function findByLogin(login: string): Promise<UserRow | null> {
    return login.includes('@')
      ? deps.users.findByEmail(normalizeEmail(login))
      : deps.users.findByUsername(normalizeUsername(login));
  }

  return {
    /** Signs up a new account; ValidationError lists every field problem at once. */
    async register(input: NewAccountInput): Promise<User> {
      const user = await createAccount(input, false);
      await deps.emailJobs.welcome(user.id);
      return user;
    },

    /** A staff account (the `createsuperuser` command); same rules as sign-up. */
    createSuperuser(input: NewAccountInput): Promise<User> {
      return createAccount(input, true);
    },

    /**
     * Checks a login (email or username) and password. Unknown account, wrong password and
     * deactivated account all raise the same InvalidCredentialsError after the same work.
     * Failures count per IP and per account; past the limit TooManyAttemptsError is raised
     * before any password is checked. Upgrades the stored hash when its parameters are old.
     */
    async logIn(credentials: { login: string; password: string; ip: string }): Promise<User> {
      const login = credentials.login.trim();
      const row = login === '' ? null : await findByLogin(login);
      // One budget per account whichever of its names is typed; unknown names count by text.
      const account = row ? `user:${row.id}` : `login:${login.toLowerCase()}`;
      deps.loginThrottle.assertAllowed(credentials.ip, account);
      let valid = false;
      if (row) valid = await verifyPassword(row.passwordHash, credentials.password);
      else await spendVerifyTime(credentials.password);
      if (!row || !valid || !row.isActive) {
        deps.loginThrottle.record(credentials.ip, account);
        throw new InvalidCredentialsError();
      }
      deps.loginThrottle.clearAccount(account);
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

    /** Changes email and username (both required, as the profile form shows both). */
    async updateProfile(userId: string, input: { email: string; username: string }): Promise<User> {
      const email = normalizeEmail(input.email);
      const username = normalizeUsername(input.username);
      const errors = identityErrors(email, username);
      if (errors.length === 0) errors.push(...(await takenErrors(email, username, userId)));
      if (errors.length > 0) throw fieldErrors(errors);
      return written(await deps.users.update(userId, { email, username }));
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
