import type {
  FastifySchemaCompiler,
  FastifySerializerCompiler,
  FastifyTypeProvider,
} from 'fastify';
import { z } from 'zod';
import { ValidationError } from '#src/lib/errors.ts';

/** Types request parts and replies from the route's zod schemas (what Fastify validates). */
export interface ZodTypeProvider extends FastifyTypeProvider {
  readonly validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  readonly serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** The `[{field, message}]` details every 400 carries, the same as the services'. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a list',
};

/** Wording for issues no schema phrased itself: zod's defaults name TypeScript types. */
function messageOf(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'This field is required.';
    return `Must be ${TYPE_NAMES[issue.expected] ?? issue.expected}.`;
  }
  return undefined;
}

/** One entry per problem; an unknown field is reported under its own name. */
export function fieldIssues(error: z.ZodError, part: string): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: at === '' ? key : `${at}.${key}`,
        message: 'This field is not accepted here.',
      }));
    }
    return [{ field: at === '' ? part : at, message: issue.message }];
  });
}

const PART_NAMES: Readonly<Record<string, string>> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'headers',
};

/**
 * Validates params, query and body with the route's zod schemas: the parsed (coerced, defaulted)
 * value replaces the raw one; failures become our ValidationError (400 `validation_failed`).
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const part = PART_NAMES[httpPart ?? 'body'] ?? 'body';
  return (data: unknown) => {
    const result = schema.safeParse(data, { error: messageOf });
    if (result.success) return { value: result.data };
    return {
      error: new ValidationError('Some fields are not valid.', fieldIssues(result.error, part)),
    };
  };
};

/**
 * Serializes replies through the route's response schema. Objects strip keys they do not
 * declare, so a field the schema does not name (an owner id, a hash) never reaches a client.
 */
export const zodSerializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  return (data: unknown) => JSON.stringify(schema.parse(data));
};
