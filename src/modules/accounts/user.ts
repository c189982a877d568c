import type { UserRow } from './users.repository.ts';

/** An account as the rest of the application sees it (never with its password hash). */
export interface User {
  readonly id: string;
  readonly email: string;
  readonly username: string;
  readonly isStaff: boolean;
  readonly isActive: boolean;
  /** Whether the address is confirmed (or counts as confirmed: decision 0027). */
  readonly emailVerified: boolean;
  readonly lastLoginAt: Date | null;
  readonly createdAt: Date;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    isStaff: row.isStaff,
    isActive: row.isActive,
    emailVerified: row.emailVerifiedAt !== null,
    lastLoginAt: row.lastLoginAt,
    createdAt: row.createdAt,
  };
}
