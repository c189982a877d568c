import { isIP } from 'node:net';
import fp from 'fastify-plugin';
import { BadRequestError, DisallowedHostError } from '#src/lib/errors.ts';
import { createIpMatcher, parseCidr } from '#src/lib/net.ts';

// RFC 9110 §7.2: uri-host [ ":" port ]. No userinfo, path, query or anything else; the port, when
// there is a colon, is a TCP port a client can have connected to: 1–65535, no leading zero. RFC
// 3986 also allows an empty or zero port, but no browser sends one, and a Host that two parsers
// (a cache, a proxy, us) could read differently is refused rather than guessed at.
const HOST_HEADER =
  /^(?<host>[a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::(?<port>[1-9][0-9]{0,4}))?$/;
const MAX_PORT = 65_535;

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
    const port = match?.groups?.port;
    if (!host || (port !== undefined && Number(port) > MAX_PORT)) return false;
    if (exact.has(host)) return true;
    if (suffixes.some((suffix) => host.endsWith(suffix) || host === suffix.slice(1))) return true;
    if (cidrs.length > 0) {
      const ip = host.startsWith('[') ? host.slice(1, -1) : host;
      if (isIP(ip) !== 0) return inCidr(ip);
    }
    return false;
  };
}

/**
 * How many Host header lines the client sent. Node keeps the first of several in
 * `headers.host` and drops the rest, so only the raw list shows a second one.
 */
export function hostLineCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name?.length === 4 && name.toLowerCase() === 'host') count += 1;
  }
  return count;
}

/**
 * The Host check, at the root, before any route: a request with more than one Host line is a
 * 400 (RFC 9112 §3.2: a front proxy may have routed by the other one), and so is one whose Host
 * is malformed or not in ALLOWED_HOSTS. /healthz is exempt from the list (probes use an IP or an
 * internal name), never from the duplicate rule.
 */
export const allowedHostsPlugin = fp<{ allowedHosts: readonly string[] }>(
  (app, { allowedHosts }, done) => {
    const isAllowed = createHostMatcher(allowedHosts);
    app.addHook('onRequest', (request, _reply, next) => {
      if (hostLineCount(request.raw.rawHeaders) > 1) {
        request.log.warn('request refused: more than one Host header');
        next(new BadRequestError('A request must carry exactly one Host header.'));
        return;
      }
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
