import fp from 'fastify-plugin';
import {
  escapeForbiddenCharacters,
  forbiddenCharacterProblem,
} from '#src/lib/control-characters.ts';
import { ValidationError } from '#src/lib/errors.ts';

/** One refused value: where it was (`title`, `tags.2`, `q`) and why. */
export interface TextProblem {
  readonly field: string;
  readonly message: string;
}

// Enough to fix a form; a body made of nothing but bad strings does not get a 10 000-line answer.
const MAX_PROBLEMS = 20;

/**
 * Every string in `value` (nested objects and arrays; their keys too) that holds a character
 * `forbiddenCharacterIn` refuses, named by its dotted path under `prefix`. Walks with its own
 * stack, so a deeply nested JSON body cannot overflow the call stack.
 */
export function findForbiddenText(value: unknown, prefix = ''): TextProblem[] {
  const problems: TextProblem[] = [];
  const queue: [string, unknown][] = [[prefix, value]];
  for (let next = 0; next < queue.length && problems.length < MAX_PROBLEMS; next += 1) {
    const [path, item] = queue[next] as [string, unknown];
    if (typeof item === 'string') {
      const problem = forbiddenCharacterProblem(item);
      if (problem !== null) problems.push({ field: path === '' ? 'body' : path, message: problem });
    } else if (Array.isArray(item)) {
      item.forEach((element, index) => queue.push([join(path, String(index)), element]));
    } else if (typeof item === 'object' && item !== null && !Buffer.isBuffer(item)) {
      for (const [key, element] of Object.entries(item)) {
        const field = join(path, escapeForbiddenCharacters(key));
        const problem = forbiddenCharacterProblem(key);
        if (problem !== null) problems.push({ field, message: `its name ${problem}` });
        queue.push([field, element]);
      }
    }
  }
  return problems.slice(0, MAX_PROBLEMS);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Refuses text input that must never reach a service: route params, the query string and the
 * body (form or JSON, nested) are walked and any string holding one of these is a 400
 * `validation_failed` naming each field (`details: [{ field, message }]`), so the API answers
 * its usual JSON error and the site its 400 page, and no service or query runs:
 * - U+0000 (PostgreSQL's text cannot store it: this was a 500) and unpaired surrogates (UTF-8
 *   cannot encode them: the driver would store U+FFFD instead);
 * - every other C0 control except TAB, LF and CR, DEL, the C1 controls and U+FFFE/U+FFFF:
 *   storable, but only ever garbage or an attack on whatever displays the field later.
 * One rule for every field (src/lib/control-characters.ts, shared with the CLI) rather than a
 * list of fields: a new form or query parameter is covered without anyone remembering it.
 *
 * Wrapped with fastify-plugin, so its hook lands in the scope that registers it: register it in
 * the site scope and in the API scope, not at the root, where it would run on every redirect.
 * It hooks preValidation: after the body is parsed, before the route's schema and handler (and
 * after onRequest, so the API's bearer check still answers anonymous callers first).
 */
export const inputTextPlugin = fp(
  (app, _options, done) => {
    app.addHook('preValidation', (request, _reply, next) => {
      const problems = [
        ...findForbiddenText(request.params),
        ...findForbiddenText(request.query),
        ...findForbiddenText(request.body),
      ];
      if (problems.length === 0) {
        next();
        return;
      }
      request.log.info(
        { fields: problems.map((problem) => problem.field) },
        'input refused: control characters',
      );
      next(new ValidationError('Some fields contain characters that are not accepted.', problems));
    });
    done();
  },
  { name: 'hoplink-input-text' },
);
