import { randomInt } from 'node:crypto';
import { AppError, NotFoundError } from '#src/lib/errors.ts';
import type { FieldError } from './account-rules.ts';
import type { ApiTokenRow, ApiTokensRepository } from './api-tokens.repository.ts';
import { fieldErrors } from './errors.ts';
import { hashToken } from './secret-tokens.ts';
import { toUser, type User } from './user.ts';

export const API_TOKEN_SCOPES = ['links:read', 'links:write'] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];
/** What a token may do unless its creator asks for more, in the UI and the CLI alike: read. */
export const DEFAULT_API_TOKEN_SCOPES: readonly ApiTokenScope[] = ['links:read'];

const NAME_MAX_LENGTH = 100;
const LAST_USED_INTERVAL_MS = 60_000;
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_ALPHABET = `ABCDEFGHIJKLMNOPQRSTUVWXYZ${PREFIX_ALPHABET}`;
/** `hop_` + 8-character prefix (shown in lists) + `_` + 32 base62 characters (~190 bits). */
const TOKEN_SHAPE = /^hop_([a-z0-9]{8})_[A-Za-z0-9]{32}$/;
const PREFIX_SHAPE = /^(?:hop_)?([a-z0-9]{8})$/;

/** An API token as lists show it: never the token itself. */
export interface ApiToken {
  readonly id: string;
  readonly name: string;
  /** `hop_` and the first 8 characters: enough to tell tokens apart, useless to call the API. */
  readonly prefix: string;
  readonly scopes: readonly ApiTokenScope[];
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** Who a bearer token speaks for, and what it may do. */
export interface ApiTokenIdentity {
  readonly user: User;
  readonly scopes: readonly ApiTokenScope[];
  readonly tokenId: string;
}

function randomText(alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1) text += alphabet.charAt(randomInt(alphabet.length));
  return text;
}

function isScope(value: string): value is ApiTokenScope {
  return (API_TOKEN_SCOPES as readonly string[]).includes(value);
}

function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    prefix: `hop_${row.prefix}`,
    scopes: row.scopes.filter(isScope),
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

export interface ApiTokensServiceDependencies {
  readonly apiTokens: Pick<
    ApiTokensRepository,
    'insert' | 'listForUser' | 'findByTokenHash' | 'findByPrefix' | 'revoke' | 'touchLastUsed'
  >;
  readonly now?: () => Date;
}

export function createApiTokensService(deps: ApiTokensServiceDependencies) {
  const now = deps.now ?? (() => new Date());

  return {
    /**
     * Creates a token for a user. The returned `token` is the only time the secret exists in
     * clear: show it once; the database keeps its SHA-256.
     */
    async create(
      userId: string,
      input: { name: string; scopes: readonly string[] },
    ): Promise<{ token: string; apiToken: ApiToken }> {
      const name = input.name.trim();
      const errors: FieldError[] = [];
      if (name === '') errors.push({ field: 'name', message: 'Give the token a name.' });
      else if (name.length > NAME_MAX_LENGTH) {
        errors.push({ field: 'name', message: `Use at most ${NAME_MAX_LENGTH} characters.` });
      }
      const scopes = [...new Set(input.scopes)];
      if (scopes.length === 0) {
        errors.push({ field: 'scopes', message: 'Choose at least one scope.' });
      } else if (!scopes.every(isScope)) {
        errors.push({ field: 'scopes', message: `Scopes are ${API_TOKEN_SCOPES.join(', ')}.` });
      }
      if (errors.length > 0) throw fieldErrors(errors);
      const prefix = randomText(PREFIX_ALPHABET, 8);
      const token = `hop_${prefix}_${randomText(SECRET_ALPHABET, 32)}`;
      const row = await deps.apiTokens.insert(userId, {
        name,
        prefix,
        tokenHash: hashToken(token),
        scopes: API_TOKEN_SCOPES.filter((scope) => scopes.includes(scope)),
      });
      return { token, apiToken: toApiToken(row) };
    },

    async list(userId: string): Promise<ApiToken[]> {
      return (await deps.apiTokens.listForUser(userId)).map(toApiToken);
    },

    /** Revokes one of the user's tokens; NotFoundError when it is not theirs. */
    async revoke(userId: string, tokenId: string): Promise<ApiToken> {
      const row = await deps.apiTokens.revoke(userId, tokenId, now());
      if (!row) throw new NotFoundError('There is no such API token.');
      return toApiToken(row);
    },

    /**
     * Revokes the token with this prefix (`hop_abcd1234` or `abcd1234`), whoever owns it: the
     * operator's `token revoke`. NotFoundError when none matches; 409 if, improbably, several do.
     */
    async revokeByPrefix(prefix: string): Promise<ApiToken & { readonly email: string }> {
      const bare = PREFIX_SHAPE.exec(prefix.trim())?.[1];
      const matches = bare ? await deps.apiTokens.findByPrefix(bare) : [];
      const [match] = matches;
      if (!match) throw new NotFoundError(`No API token has the prefix ${prefix}.`);
      if (matches.length > 1) {
        throw new AppError(
          'ambiguous_prefix',
          409,
          `${matches.length} API tokens share the prefix ${prefix}; revoke them from their owners' settings.`,
        );
      }
      const row = await deps.apiTokens.revoke(match.token.userId, match.token.id, now());
      if (!row) throw new NotFoundError(`No API token has the prefix ${prefix}.`);
      return { ...toApiToken(row), email: match.email };
    },

    /**
     * The identity behind a bearer token, or null when it is malformed, unknown, revoked, or
     * its user was deactivated. Records the use at most once a minute.
     */
    async authenticate(rawToken: string): Promise<ApiTokenIdentity | null> {
      if (!TOKEN_SHAPE.test(rawToken)) return null;
      const found = await deps.apiTokens.findByTokenHash(hashToken(rawToken));
      if (!found || found.token.revokedAt !== null || !found.user.isActive) return null;
      const at = now();
      const lastUsed = found.token.lastUsedAt?.getTime() ?? 0;
      if (at.getTime() - lastUsed >= LAST_USED_INTERVAL_MS) {
        await deps.apiTokens.touchLastUsed(found.token.id, at, LAST_USED_INTERVAL_MS);
      }
      return {
        user: toUser(found.user),
        scopes: found.token.scopes.filter(isScope),
        tokenId: found.token.id,
      };
    },
  };
}

export type ApiTokensService = ReturnType<typeof createApiTokensService>;
