import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv6 } from 'node:net';
import { HEARTBEAT_STALE_MS, heartbeatAge } from '#src/process/heartbeat.ts';
import { HEALTHCHECK } from './commands.ts';
import { loadSettingsOrReport, parseCommand, withUsage } from './common.ts';
import type { Invocation } from './invocation.ts';

/** A probe that hangs is a failed probe; container runtimes kill it later than this anyway. */
const PROBE_TIMEOUT_MS = 3_000;

/** Where to reach a server listening on `host` from the same machine. */
export function probeHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

function getStatus(url: URL, tls: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    // The certificate names the public host, not the loopback address probed here: the probe
    // checks that the process answers, not who it is.
    const send = tls ? httpsRequest : httpRequest;
    const req = send(url, { timeout: PROBE_TIMEOUT_MS, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * `hoplink healthcheck [--worker]`: the container health check. Without --worker it asks the
 * local web server's /healthz (liveness: no dependency is touched); with --worker it checks that
 * `hoplink worker` touched its heartbeat file within the last 30 s. Exit 0 healthy, 1 not.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  const { stderr } = invocation;
  return withUsage(stderr, async () => {
    const { values } = parseCommand(HEALTHCHECK, argv);
    if (values.worker) {
      const age = heartbeatAge();
      if (age === null || age > HEARTBEAT_STALE_MS) {
        const seen =
          age === null ? 'no heartbeat file' : `last heartbeat ${Math.round(age / 1000)} s ago`;
        stderr.write(`worker unhealthy: ${seen}\n`);
        return 1;
      }
      return 0;
    }
    const loaded = loadSettingsOrReport(invocation, values.dotenv);
    if (!loaded) return 1;
    const { settings } = loaded;
    const host = probeHost(settings.serverHost);
    const tls = settings.tls !== null;
    const url = new URL(
      `${tls ? 'https' : 'http'}://${isIPv6(host) ? `[${host}]` : host}:${settings.serverPort}/healthz`,
    );
    try {
      const status = await getStatus(url, tls);
      if (status === 200) return 0;
      stderr.write(`web unhealthy: ${url.href} answered ${status}\n`);
    } catch (error) {
      stderr.write(`web unhealthy: ${url.href}: ${(error as Error).message}\n`);
    }
    return 1;
  });
}
