// The loader hooks record-modules.mjs registers; they run on the loader's own thread.
import { appendFileSync } from 'node:fs';

const file = process.env.RECORD_MODULES_TO;

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (file) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
