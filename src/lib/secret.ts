import { inspect } from 'node:util';

const MASK = '********';

/**
 * Wraps a secret value so that logging, printing or serialising it never shows the value; code
 * that needs it must call `reveal()`, which makes every use of a secret easy to find.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return `Secret(${MASK})`;
  }
}

/** A URL with its password (if any) replaced by the mask, for display. */
export function maskUrlPassword(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = MASK;
    return url.toString();
  } catch {
    return MASK;
  }
}

export { MASK as SECRET_MASK };
