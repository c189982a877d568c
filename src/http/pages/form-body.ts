/**
 * The JSON schema of a page form whose fields are all optional strings: a missing or bad one is
 * the service's to report, on its field, so the form comes back with the message beside it.
 */
export function formBody(...fields: string[]) {
  return {
    type: 'object',
    properties: Object.fromEntries(
      fields.map((field) => [field, { type: 'string', maxLength: 4096 }]),
    ),
  } as const;
}

/** The parsed body of such a form. */
export type Form<K extends string> = Partial<Record<K, string>>;
