import { BlockList, isIP } from 'node:net';

/** `10.0.0.0/8` → `{ address, prefix, family }`, or null when it is not a CIDR block. */
export function parseCidr(
  text: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return null;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const version = isIP(address);
  if (version === 0 || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > (version === 4 ? 32 : 128)) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Matches IP addresses against CIDR blocks and single addresses, IPv4-mapped IPv6 included. */
export function createIpMatcher(entries: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    else if (isIP(entry) === 4) list.addAddress(entry, 'ipv4');
    else if (isIP(entry) === 6) list.addAddress(entry, 'ipv6');
  }
  return (ip: string) => {
    const bare = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
    const version = isIP(bare);
    if (version === 0) return false;
    return list.check(bare, version === 4 ? 'ipv4' : 'ipv6');
  };
}
