import fastifyCookie from '@fastify/cookie';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Settings } from '#src/settings/index.ts';

/** Name and attributes of one of our cookies. */
export interface CookieSpec {
  readonly name: string;
  readonly options: CookieSerializeOptions;
}

/**
 * Our cookies: HttpOnly (no script reads them), SameSite=Lax, Path=/, signed. With Secure they
 * take the `__Host-` prefix, which browsers honour only for Secure, host-only, Path=/ cookies, so
 * a sibling subdomain cannot plant or shadow them.
 */
export function cookieSpec(base: string, secure: boolean): CookieSpec {
  return {
    name: secure ? `__Host-${base}` : base,
    options: { httpOnly: true, sameSite: 'lax', path: '/', secure, signed: true },
  };
}

/** A signed cookie's value, or null when absent or signed with no key we hold. */
export function readSignedCookie(
  request: FastifyRequest,
  name: string,
): { value: string; resign: boolean } | null {
  const raw = request.cookies[name];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid) return null;
  // Signed with a key now in SECRET_KEY_FALLBACKS: valid, but worth re-signing with the new one.
  return { value: unsigned.value, resign: unsigned.renew };
}

/** Expires a cookie in the browser (same name and attributes as when it was set). */
export function clearCookie(reply: FastifyReply, spec: CookieSpec): void {
  void reply.clearCookie(spec.name, { ...spec.options, signed: false });
}

/**
 * Parses cookies and signs ours with SECRET_KEY; SECRET_KEY_FALLBACKS still verify, so a key
 * rotation does not log everybody out (cookies are re-signed with the new key as they are seen).
 */
export const cookiesPlugin = fp<{ settings: Settings }>(
  async (app, { settings }) => {
    await app.register(fastifyCookie, {
      secret: [settings.secretKey, ...settings.secretKeyFallbacks].map((key) => key.reveal()),
    });
  },
  { name: 'hoplink-cookies' },
);
