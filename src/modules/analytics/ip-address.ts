import { isIP } from 'node:net';

/** `::ffff:1.2.3.4` (IPv4 seen through an IPv6 socket) → `1.2.3.4`; anything else unchanged. */
export function unmapIpv4(ip: string): string {
  const bare = ip.toLowerCase().startsWith('::ffff:') ? ip.slice(7) : ip;
  return isIP(bare) === 4 ? bare : ip;
}

/** The eight 16-bit groups of an IPv6 address, or null. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip.split('%')[0] ?? '';
  if (isIP(text) !== 6) return null;
  // A trailing dotted IPv4 part stands for the last two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.map((group) => Number.parseInt(group, 16));
}

/** IPv4 keeps its /24 (`203.0.113.0`), IPv6 its /48 (`2001:db8:1::`); null if not an IP. */
export function anonymizeIp(ip: string): string | null {
  const address = unmapIpv4(ip);
  if (isIP(address) === 4) return address.replace(/\.\d+$/, '.0');
  const groups = ipv6Groups(address);
  if (!groups) return null;
  return `${groups
    .slice(0, 3)
    .map((group) => group.toString(16))
    .join(':')}::`;
}

export type ClickIpMode = 'anonymize' | 'full' | 'none';

/** What CLICK_IP_MODE lets us keep of a client IP. */
export function storedIp(ip: string, mode: ClickIpMode): string | null {
  if (mode === 'none') return null;
  if (mode === 'full') return isIP(unmapIpv4(ip)) === 0 ? null : unmapIpv4(ip);
  return anonymizeIp(ip);
}
