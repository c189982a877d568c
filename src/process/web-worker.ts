import { Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createContainer, StartupError, type Container } from '#src/container.ts';
import { describeDependencyFailure, describeListenFailure } from '#src/cli/dependency-failure.ts';
import { buildServer } from '#src/http/build-server.ts';
import { answerPrimary, scrapeThroughPrimary } from '#src/metrics/cluster-metrics.ts';
import { reportFatalError } from '#src/lib/error-tracking.ts';
import { scrubText } from '#src/lib/log-safety.ts';
import {
  formatFindings,
  hasErrors,
  loadSettings,
  type LoadSettingsOptions,
} from '#src/settings/index.ts';

/** A worker tells the primary it accepts connections, and on which port. */
export interface ListeningMessage {
  readonly type: 'hoplink:listening';
  readonly port: number;
}

/** The primary asks a worker to stop accepting, finish its requests and exit. */
export const DRAIN_MESSAGE = { type: 'hoplink:drain' } as const;

/**
 * A draining worker has closed its listener; sent after cluster's own close message on the same
 * channel, so the primary has stopped routing connections to it when it answers with the ack.
 */
export const LISTENER_CLOSED_MESSAGE = { type: 'hoplink:listener-closed' } as const;
export const LISTENER_CLOSED_ACK = { type: 'hoplink:listener-closed-ack' } as const;

export function isListenerClosedMessage(message: unknown): boolean {
  return (message as { type?: unknown } | null)?.type === LISTENER_CLOSED_MESSAGE.type;
}

/** How long a worker waits for the primary's ack before it drains anyway. */
const ROUTING_ACK_TIMEOUT_MS = 2_000;

export function isListeningMessage(message: unknown): message is ListeningMessage {
  return (message as ListeningMessage | null)?.type === 'hoplink:listening';
}

function isDrainMessage(message: unknown): boolean {
  return (message as typeof DRAIN_MESSAGE | null)?.type === DRAIN_MESSAGE.type;
}

/**
 * How long a draining worker lets connections that are still open finish a request of their
 * own (each gets `Connection: close`) before idle ones are closed under the client's feet.
 */
const IDLE_GRACE_MS = 1_000;

/**
 * The web worker role: serves HTTP(S) until asked to drain (by the primary, or SIGTERM/SIGINT),
 * then finishes in-flight requests within SERVER_SHUTDOWN_TIMEOUT. Resolves with the exit code;
 * the caller must exit, as the IPC channel to the primary keeps the process alive.
 */
export async function runWebWorker(options: LoadSettingsOptions): Promise<number> {
  // Settings are read again (not inherited) so a reload picks up a changed .env, secret files or
  // a renewed certificate. Warnings were printed by the primary; errors stop this worker.
  const loaded = loadSettings(options);
  if (hasErrors(loaded.findings)) {
    process.stderr.write(`${formatFindings(loaded.findings)}\n`);
    return 1;
  }
  const { settings } = loaded;
  let container: Container;
  try {
    container = await createContainer(settings);
  } catch (error) {
    const reason =
      error instanceof StartupError
        ? error.message
        : (describeDependencyFailure('database', settings, error) ?? scrubText(String(error)));
    process.stderr.write(`Hoplink cannot start: ${reason}\n`);
    return 1;
  }
  const { logger } = container;
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; worker exiting');
    // A process in an unknown state gets 2 s to send the report, then goes.
    void reportFatalError(error, 2_000).finally(() => process.exit(1));
  });

  // The primary adds up every worker's metrics: one target per server (decision 0022).
  if (settings.metricsToken || settings.metricsListen) {
    answerPrimary(() => container.metrics.snapshot());
  }
  const app = buildServer(container, { scrapeMetrics: scrapeThroughPrimary });
  let draining = false;
  // A response that says `Connection: close` ends its keep-alive connection cleanly: the client
  // opens a new one (served by another worker) instead of racing our close with its next request.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close');
    done(null, payload);
  });

  const listening = (async () => {
    await app.ready();
    await listen(app.server, settings.serverHost, settings.serverPort);
  })();
  const drain = async (): Promise<number> => {
    const deadline = Date.now() + settings.serverShutdownTimeout;
    await listening.catch(() => undefined);
    // http.Server#close would also cut idle keep-alive connections at once, while their clients
    // may be sending the next request; closing only the listener stops new connections first.
    Server.prototype.close.call(app.server);
    // Only once the primary routes no more connections here do responses say `Connection:
    // close`: a client reconnecting earlier would land in the primary's queue for this worker,
    // and when the last worker leaves, the primary resets what that queue holds.
    await primaryStoppedRouting();
    draining = true;
    await connectionsGone(app.server, Math.min(IDLE_GRACE_MS, settings.serverShutdownTimeout));
    const closed = await Promise.race([
      app.close().then(() => true),
      sleep(Math.max(0, deadline - Date.now()), false),
    ]);
    if (!closed) {
      logger.error(
        { timeoutMs: settings.serverShutdownTimeout },
        'shutdown timeout passed with requests in flight; closing their connections',
      );
      app.server.closeAllConnections();
    }
    await container.close();
    logger.debug('worker stopped');
    return closed ? 0 : 1;
  };
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopping: Promise<number> | undefined;
  const stop = () => {
    stopping ??= drain();
    void stopping.then(finish);
  };
  process.on('message', (message) => {
    if (isDrainMessage(message)) stop();
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Reloading is the primary's job; a SIGHUP sent to the whole process group must not kill us.
  process.on('SIGHUP', () => undefined);

  try {
    await listening;
  } catch (error) {
    const reason = describeListenFailure(settings.serverHost, settings.serverPort, error);
    if (reason === null) {
      logger.fatal(
        { err: error },
        `cannot listen on ${settings.serverHost}:${settings.serverPort}`,
      );
    } else process.stderr.write(`Hoplink cannot start: ${reason}\n`);
    return 1;
  }
  container.startBackgroundWork();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.serverPort;
  process.send?.({ type: 'hoplink:listening', port } satisfies ListeningMessage);
  return finished;
}

/** Resolves when the primary acknowledges LISTENER_CLOSED_MESSAGE (or after a timeout). */
function primaryStoppedRouting(): Promise<void> {
  if (!process.send) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve();
    };
    const onMessage = (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type === LISTENER_CLOSED_ACK.type) done();
    };
    const timer = setTimeout(done, ROUTING_ACK_TIMEOUT_MS);
    process.on('message', onMessage);
    process.send?.(LISTENER_CLOSED_MESSAGE);
  });
}

/** Listens on the raw server: Fastify's listen() logs a line per worker, the primary prints one. */
function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Waits until the server holds no connection, or `withinMs` passed. */
async function connectionsGone(server: Server, withinMs: number): Promise<void> {
  const until = Date.now() + withinMs;
  while (Date.now() < until && (await connectionCount(server)) > 0) await sleep(20);
}

function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.getConnections((_error, count) => {
      resolve(count);
    });
  });
}
