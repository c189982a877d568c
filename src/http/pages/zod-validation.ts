import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '#src/lib/errors.ts';

/** Types params, query and body from the route's zod schemas (what Fastify validates). */
export interface ZodTypeProvider extends FastifyTypeProvider {
  readonly validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
}

// Forms and queries carry text; anything else in a field is a name sent twice or a hand-made
// request. Messages a schema words itself win over this one.
function messageOf(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.code === 'invalid_type' ? 'Enter this field once, as text.' : undefined;
}

/**
 * The site scope's validator, as the API scope has its own (one scope does not import
 * another): params, query and form bodies are parsed with the route's zod schemas, and the
 * parsed (coerced, defaulted) value replaces the raw one. A failure is a 400
 * `validation_failed` naming each field as the form does (`scopes`, not `scopes.1`), which a
 * form page shows beside its field (form-page.ts) and any other route on its error page.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data: unknown) => {
    const result = schema.safeParse(data, { error: messageOf });
    if (result.success) return { value: result.data };
    const fields = result.error.issues.map((issue) => ({
      field: issue.path.length === 0 ? undefined : String(issue.path[0]),
      message: issue.message,
    }));
    return { error: new ValidationError('Some fields need attention.', fields) };
  };
