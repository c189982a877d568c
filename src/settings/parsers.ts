import { z } from 'zod';
import { parseCidr } from '#src/lib/net.ts';
import { parseDuration, parseSize } from '#src/lib/units.ts';

/** Each parser turns the raw environment string into a typed value, or fails with a clear message. */
export type Parser<T> = z.ZodType<T, string>;

// Exactly the words SPEC §2 lists: anything else (on/off, y/n) is an error, not a guess.
const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

export const bool = (): Parser<boolean> =>
  z.string().transform((text, ctx) => {
    const word = text.trim().toLowerCase();
    if (TRUE.has(word)) return true;
    if (FALSE.has(word)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be a boolean: true/false, 1/0, yes/no' });
    return z.NEVER;
  });

export const int = (min: number, max: number): Parser<number> =>
  z.string().transform((text, ctx) => {
    const value = Number(text.trim());
    if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return value;
  });

/** A share from 0 to 1 (0.01 = one in a hundred). */
export const fraction = (): Parser<number> =>
  z.string().transform((text, ctx) => {
    const value = Number(text.trim());
    if (!/^(?:0|1|0?\.\d+|1\.0*)$/.test(text.trim()) || value < 0 || value > 1) {
      ctx.addIssue({ code: 'custom', message: 'must be a number from 0 to 1, such as 0.01' });
      return z.NEVER;
    }
    return value;
  });

export const duration = (): Parser<number> =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30s, 500ms, 2m or 14d' });
      return z.NEVER;
    }
    return ms;
  });

/** `allowZero`: 0 is accepted (a setting where it means "no limit"). */
export const size = ({ allowZero = false } = {}): Parser<number> =>
  z.string().transform((text, ctx) => {
    const bytes = parseSize(text);
    if (bytes === null || bytes < 0 || (bytes === 0 && !allowZero)) {
      ctx.addIssue({ code: 'custom', message: 'must be a size such as 1MiB, 512KiB or 1048576' });
      return z.NEVER;
    }
    return bytes;
  });

export const text = (): Parser<string> => z.string().transform((value) => value.trim());

export const oneOf = <const T extends readonly [string, ...string[]]>(
  values: T,
): Parser<T[number]> =>
  z.string().transform((raw, ctx) => {
    const value = raw.trim();
    if (values.includes(value)) return value;
    ctx.addIssue({ code: 'custom', message: `must be one of: ${values.join(', ')}` });
    return z.NEVER;
  });

/** Comma-separated list; blanks are ignored; each item checked by `item` (returns an error or null). */
export const list = (
  item: (value: string) => string | null = () => null,
): Parser<readonly string[]> =>
  z.string().transform((raw, ctx) => {
    const items = raw
      .split(',')
      .map((value) => value.trim())
      .filter((value) => value !== '');
    for (const value of items) {
      const problem = item(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
    return items;
  });

export const httpUrl = (): Parser<string> =>
  z.string().transform((raw, ctx) => {
    try {
      const url = new URL(raw.trim());
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
      if (url.username || url.password || url.search || url.hash) throw new Error('extras');
      return url.origin + url.pathname.replace(/\/+$/, '');
    } catch {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be an http(s) URL without credentials, query or fragment, e.g. https://hop.example.com',
      });
      return z.NEVER;
    }
  });

/** An origin item check: `https://app.example.com` (scheme + host [+ port], nothing else). */
export function originProblem(value: string): string | null {
  try {
    const url = new URL(value);
    if (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.origin === value.replace(/\/$/, '')
    ) {
      return null;
    }
  } catch {
    // fall through to the message below
  }
  return `"${value}" is not an origin: write it with its scheme and no path, e.g. https://app.example.com`;
}

export function cidrOrIpProblem(value: string): string | null {
  if (parseCidr(value)) return null;
  return `"${value}" is not a CIDR block such as 10.0.0.0/8 or ::1/128`;
}

/** Allowed-host entries: hostnames, `.domain` wildcards, IP literals (IPv6 in brackets), CIDR blocks. */
export function hostPatternProblem(value: string): string | null {
  if (value === '*') return null; // refused with its own finding, which explains why
  if (parseCidr(value)) return null;
  if (/^\[[0-9a-f:.]+\]$/i.test(value)) return null;
  if (/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(value))
    return null;
  return `"${value}" is not a host name, .domain, [IPv6] or CIDR block`;
}
