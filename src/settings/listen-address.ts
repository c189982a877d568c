import { isIP } from 'node:net';
import { z } from 'zod';
import type { Parser } from './parsers.ts';

/** Where a listener binds: `127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`, `localhost:9464`. */
export interface ListenAddress {
  /** An IP address (IPv6 without brackets) or a host name. */
  readonly host: string;
  /** 0 picks a free port (the listener logs the one it took). */
  readonly port: number;
}

const ADDRESS = /^(?:\[(?<ipv6>[0-9a-f:.]+)\]|(?<host>[a-z0-9.-]+)):(?<port>\d{1,5})$/i;

/** `host:port` as an operator writes it, or null when it is not one. */
export function parseListenAddress(value: string): ListenAddress | null {
  const groups = ADDRESS.exec(value.trim())?.groups;
  if (!groups) return null;
  const port = Number(groups.port);
  if (port > 65_535) return null;
  if (groups.ipv6 !== undefined)
    return isIP(groups.ipv6) === 6 ? { host: groups.ipv6, port } : null;
  const host = groups.host ?? '';
  // A dotted quad must be a real IPv4 address, not a typo read as a host name.
  if (/^[\d.]+$/.test(host) && isIP(host) !== 4) return null;
  return { host: host.toLowerCase(), port };
}

/** Whether only this machine can connect to `host` (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A listen address setting: empty means unset. */
export const listenAddress = (): Parser<ListenAddress | undefined> =>
  z.string().transform((raw, ctx) => {
    if (raw.trim() === '') return undefined;
    const address = parseListenAddress(raw);
    if (address === null) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be host:port, such as 127.0.0.1:9464 or [::1]:9464',
      });
      return z.NEVER;
    }
    return address;
  });

/** The address as an operator writes it (brackets around IPv6). */
export function formatListenAddress({ host, port }: ListenAddress): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${String(port)}`;
}
