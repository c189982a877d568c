import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '#src/lib/errors.ts';
import { sendPage, type PageContent } from './render.ts';
import { nextPath } from './safe-next.ts';
import type { FieldError } from './views/components.ts';

const TEXT_MAX_LENGTH = 4096;

function textValue(maxLength: number) {
  return z.string().max(maxLength, `Use at most ${maxLength} characters.`);
}

/**
 * Form fields as @fastify/formbody hands them over: text, an array when a name is repeated, and
 * nothing for an unticked checkbox or a field the form does not have. They check the shape
 * only; whether a value is acceptable is the service's to say, on its field.
 */
export const field = {
  /** Text; absent reads as blank, like a field left empty. */
  text: (maxLength = TEXT_MAX_LENGTH) => textValue(maxLength).default(''),
  /** Text whose absence means "the default" rather than blank. */
  optionalText: (maxLength = TEXT_MAX_LENGTH) => textValue(maxLength).optional(),
  /** A checkbox: sent (whatever its value) when ticked, absent otherwise. */
  checkbox: () =>
    textValue(TEXT_MAX_LENGTH)
      .optional()
      .transform((value) => value !== undefined),
  /** Checkboxes sharing a name: none, one (a string) or several (an array) ticked. */
  choices: (maxItems: number, maxLength = 64) =>
    z.preprocess(
      (value) => (value === undefined ? [] : typeof value === 'string' ? [value] : value),
      z
        .array(textValue(maxLength), { error: 'Choose from the list.' })
        .max(maxItems, `Choose at most ${maxItems}.`),
    ),
  /** Where to go afterwards: a path of this site, `/` for anything else. */
  next: () => nextPath,
};

/** What a form page shows: the values to put back in its fields, the problems to point at. */
export interface FormState<V> {
  readonly values: Partial<V>;
  readonly errors: readonly FieldError[];
}

type FormRequest<P> = FastifyRequest<{ Params: P }>;

/** A POST route whose page holds a form: see formPage. */
export interface FormPage<B extends z.ZodObject, P, R> {
  /** The form's fields (see `field`); others, such as `_csrf`, are dropped. */
  readonly body: B;
  /** The URL's params; when they do not parse, the error handler answers as on any route. */
  readonly params?: z.ZodType<P>;
  /** The one service call. */
  submit(values: z.output<B>, request: FormRequest<P>): Promise<R>;
  /** What follows success: usually a flash and a 303, so a reload does not post again. */
  success(
    result: R,
    reply: FastifyReply,
    values: z.output<B>,
  ): FastifyReply | Promise<FastifyReply>;
  /** The page holding the form, also the GET route's (with its own values and no errors). */
  render(
    request: FormRequest<P>,
    state: FormState<z.output<B>>,
  ): PageContent | Promise<PageContent>;
}

// The refusals a visitor can act on from the form itself; anything else (a 404, a 503) is the
// error handler's page, as on any route.
const FORM_ERROR_CODES: ReadonlySet<string> = new Set([
  'validation_failed',
  'invalid_credentials',
  'invalid_reset_token',
  'conflict',
  'rate_limited',
  // Registration (decision 0027): the page itself says what to do instead.
  'sign_up_closed',
  'invalid_invitation',
  'email_unverified',
  'invalid_verification_token',
]);

function formFailure(error: unknown, reply: FastifyReply) {
  if (!(error instanceof AppError) || !FORM_ERROR_CODES.has(error.code)) throw error;
  const details = Array.isArray(error.details) ? (error.details as FieldError[]) : [];
  const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  return {
    statusCode: error.statusCode,
    errors: details.length > 0 ? details : [{ message: error.message }],
  };
}

const asForm = (body: unknown) =>
  typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};

/** The fields of a refused body that parse on their own, to show again; the rest stay empty. */
function parsableFields<B extends z.ZodObject>(schema: B, body: unknown): Partial<z.output<B>> {
  const raw = asForm(body) as Record<string, unknown>;
  const values = Object.entries(schema.shape).flatMap(([name, fieldSchema]) => {
    const parsed = (fieldSchema as z.ZodType).safeParse(raw[name]);
    return parsed.success ? [[name, parsed.data]] : [];
  });
  return Object.fromEntries(values) as Partial<z.output<B>>;
}

/**
 * The options of a form's POST route. The body is parsed with `body` (zod-validation.ts),
 * `submit` makes the service call and `success` answers. A body that does not parse, or a
 * refusal the visitor can fix (a field error, wrong credentials, a taken code, too many
 * attempts), shows `render`'s page again with the values sent, the messages beside their
 * fields and the error's status (400, 409, 429 with Retry-After); anything else goes to the
 * error handler. CSRF, the session and sign-in stay the scope's hooks, which run before;
 * login.routes.ts is the shortest use.
 */
export function formPage<B extends z.ZodObject, P = unknown, R = unknown>(page: FormPage<B, P, R>) {
  async function refuse(
    request: FormRequest<P>,
    reply: FastifyReply,
    values: Partial<z.output<B>>,
    error: unknown,
  ) {
    const { statusCode, errors } = formFailure(error, reply);
    return sendPage(request, reply, await page.render(request, { values, errors }), statusCode);
  }

  return {
    schema: {
      body: z.preprocess(asForm, page.body),
      ...(page.params === undefined ? {} : { params: page.params }),
    },
    // The handler runs when the body does not parse, so that the form can say why.
    attachValidation: true,
    handler: async (request: FormRequest<P>, reply: FastifyReply) => {
      const invalid = request.validationError;
      if (invalid !== undefined) {
        if (invalid.validationContext !== 'body') throw invalid;
        return refuse(request, reply, parsableFields(page.body, request.body), invalid);
      }
      // Parsed with page.body: Fastify replaced the raw body with the schema's output.
      const values = request.body as z.output<B>;
      let result: R;
      try {
        result = await page.submit(values, request);
      } catch (error) {
        return refuse(request, reply, values, error);
      }
      return page.success(result, reply, values);
    },
  };
}
