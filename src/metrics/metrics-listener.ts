import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { bearerTokenMatches } from '#src/lib/bearer-token.ts';
import type { Logger } from '#src/lib/logger.ts';
import { METRICS_CONTENT_TYPE } from './process-metrics.ts';

export interface MetricsListenerOptions {
  readonly host: string;
  /** 0 picks a free port; `url` says which. */
  readonly port: number;
  /** METRICS_TOKEN: when set, a scrape without `Authorization: Bearer <token>` gets 401. */
  readonly token: { reveal(): string } | undefined;
  /** The metrics in the text format. */
  readonly scrape: () => Promise<string>;
  readonly logger: Pick<Logger, 'error'>;
}

export interface MetricsListener {
  /** `http://host:port/metrics`, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/**
 * A listener of its own for /metrics (METRICS_LISTEN in the serve primary, WORKER_METRICS_LISTEN
 * in the worker): plain HTTP on an address Prometheus reaches and the public does not. Nothing
 * else is served; any other path is a 404.
 */
export function startMetricsListener(options: MetricsListenerOptions): Promise<MetricsListener> {
  const { token, scrape, logger } = options;
  const server = createServer((request, response) => {
    void answer(request, response);
  });
  // Scrapes are small and quick; a client that dawdles is not Prometheus.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not found\n');
      return;
    }
    if (token && !bearerTokenMatches(request.headers.authorization, token.reveal())) {
      response.writeHead(401, {
        ...HEADERS,
        'content-type': 'text/plain; charset=utf-8',
        'www-authenticate': 'Bearer realm="metrics"',
      });
      response.end('Unauthorized\n');
      return;
    }
    try {
      const body = await scrape();
      response.writeHead(200, { ...HEADERS, 'content-type': METRICS_CONTENT_TYPE });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      logger.error({ err: error }, 'collecting the metrics failed');
      response.writeHead(500, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      response.end('Collecting the metrics failed\n');
    }
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = isIPv6(options.host) ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${String(port)}/metrics`,
        close: () =>
          new Promise((closed) => {
            server.close(() => {
              closed();
            });
            server.closeAllConnections();
          }),
      });
    });
  });
}
