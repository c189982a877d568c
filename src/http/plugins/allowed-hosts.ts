import { isIP } from 'node:net';
import fp from 'fastify-plugin';
import { DisallowedHostError } from '#src/lib/errors.ts';
import { createIpMatcher, parseCidr } from '#src/lib/net.ts';

const HOST_HEADER = /^(?<host>[a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::\d{1,5})?$/;

/** Paths a load balancer probes by IP or internal name; they reveal nothing and change nothing. */
export const HOST_CHECK_EXEMPT = new Set(['/healthz']);

/**
 * Builds the Host check of SPEC §2: exact names, `.domain` for a domain and its subdomains, and
 * CIDR blocks for IP-literal hosts. Returns true when the Host header is allowed.
 */
export function createHostMatcher(patterns: readonly string[]): (hostHeader: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const cidrs: string[] = [];
  for (const pattern of patterns.map((item) => item.toLowerCase())) {
    if (parseCidr(pattern)) cidrs.push(pattern);
    else if (pattern.startsWith('.')) suffixes.push(pattern);
    else exact.add(pattern);
  }
  const inCidr = createIpMatcher(cidrs);
  return (hostHeader: string) => {
    const match = HOST_HEADER.exec(hostHeader.toLowerCase());
    const host = match?.groups?.host?.replace(/\.$/, '');
    if (!host) return false;
    if (exact.has(host)) return true;
    if (suffixes.some((suffix) => host.endsWith(suffix) || host === suffix.slice(1))) return true;
    if (cidrs.length > 0) {
      const ip = host.startsWith('[') ? host.slice(1, -1) : host;
      if (isIP(ip) !== 0) return inCidr(ip);
    }
    return false;
  };
}

export const allowedHostsPlugin = fp<{ allowedHosts: readonly string[] }>(
  (app, { allowedHosts }, done) => {
    const isAllowed = createHostMatcher(allowedHosts);
    app.addHook('onRequest', (request, _reply, next) => {
      if (HOST_CHECK_EXEMPT.has(request.url) || isAllowed(request.host)) {
        next();
        return;
      }
      request.log.warn({ host: request.host }, 'request refused: Host not in ALLOWED_HOSTS');
      next(new DisallowedHostError());
    });
    done();
  },
  { name: 'hoplink-allowed-hosts' },
);
