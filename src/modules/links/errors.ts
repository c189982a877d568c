import { AppError, ServiceUnavailableError } from '#src/lib/errors.ts';
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

/**
 * The database could not be asked where a link points, and no earlier answer is known: the
 * redirect answers 503 with Retry-After (a 404 would be kept by clients as "gone").
 */
export class LinkLookupUnavailableError extends ServiceUnavailableError {
  constructor(retryAfterMs: number) {
    super('This link cannot be looked up right now; try again in a few seconds.', retryAfterMs);
  }
}
