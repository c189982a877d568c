import { AppError } from '#src/lib/errors.ts';
import type { FieldIssue } from './link-rules.ts';

/**
 * A code or slug someone already holds: 409 with the same `[{field, message}]` details as a
 * ValidationError, so a form shows it beside the field and an API client can tell "taken" (retry
 * with another value) from "malformed" (400). Every duplicate alias or slug raises this one.
 */
export class LinkConflictError extends AppError {
  constructor(details: readonly FieldIssue[]) {
    super('conflict', 409, 'That short address is already taken.', details);
  }
}
