import type { FastifyReply } from 'fastify';
import { AppError } from '#src/lib/errors.ts';
import type { FieldError } from './views/components.ts';

export interface FormFailure {
  readonly statusCode: number;
  readonly errors: FieldError[];
}

/**
 * Turns a refused submission (an AppError with a 4xx status: validation, wrong credentials, too
 * many attempts) into the status and messages to show on its form again. Anything else is not
 * the visitor's to fix and is rethrown to the error handler.
 */
export function formFailure(error: unknown, reply: FastifyReply): FormFailure {
  if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
  const details = Array.isArray(error.details) ? (error.details as FieldError[]) : [];
  const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  return {
    statusCode: error.statusCode,
    errors: details.length > 0 ? details : [{ message: error.message }],
  };
}
