import cluster, { type Worker } from 'node:cluster';
import { createServer, isIPv6, type AddressInfo } from 'node:net';
import { describeListenFailure } from '#src/cli/dependency-failure.ts';
import { createLogger, type Logger } from '#src/lib/logger.ts';
import { describeRuntime } from '#src/container.ts';
import { createClusterMetrics, type ClusterMetrics } from '#src/metrics/cluster-metrics.ts';
import { startMetricsListener, type MetricsListener } from '#src/metrics/metrics-listener.ts';
import type { Settings } from '#src/settings/index.ts';
import {
  DRAIN_MESSAGE,
  isListenerClosedMessage,
  isListeningMessage,
  LISTENER_CLOSED_ACK,
} from './web-worker.ts';

const RESTART_DELAY_FIRST_MS = 1_000;
const RESTART_DELAY_MAX_MS = 30_000;
/** A worker that served this long counts as healthy: its next crash starts the backoff afresh. */
const STABLE_AFTER_MS = 30_000;
/** How long past SERVER_SHUTDOWN_TIMEOUT a draining worker may take to exit before it is killed. */
const EXIT_GRACE_MS = 5_000;

/**
 * The primary process of `serve`: forks WEB_CONCURRENCY web workers, restarts crashed ones with
 * backoff, replaces them one at a time on SIGHUP and drains them on SIGTERM/SIGINT. Resolves with
 * the exit code: 0 after a clean drain, 1 if startup failed or a worker had to be forced.
 *
 * @param overrides environment variables every worker receives (the command-line flags).
 */
export function runSupervisor(
  settings: Settings,
  overrides: Readonly<Record<string, string>>,
): Promise<number> {
  const logger = createLogger({ level: settings.logLevel, format: settings.logFormat });
  return new Supervisor(settings, overrides, logger).run();
}

interface Member {
  readonly worker: Worker;
  readonly pid: number | undefined;
  /** Position 0…WEB_CONCURRENCY-1; a crashed worker's replacement takes its slot. */
  readonly slot: number;
  /** Resolves true once the worker listens, false if it exits first. */
  readonly listening: Promise<boolean>;
  listeningSince: number | undefined;
  /** Asked to drain: its exit is expected, not a crash. */
  retiring: boolean;
}

type Phase = 'starting' | 'running' | 'stopping';

class Supervisor {
  private readonly members = new Map<number, Member>();
  private readonly crashes = new Map<number, number>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private phase: Phase = 'starting';
  private reloading = false;
  private reloadAgain = false;
  private exitCode = 0;
  private port = 0;
  private finish: (code: number) => void = () => undefined;
  /**
   * Every worker's metrics added up (decision 0022). Always there: a reload may give the workers
   * a METRICS_TOKEN the primary did not read, and they will ask it.
   */
  private readonly metrics: ClusterMetrics = createClusterMetrics(() =>
    Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined),
  );
  private metricsListener: MetricsListener | null = null;

  constructor(
    private readonly settings: Settings,
    private readonly overrides: Readonly<Record<string, string>>,
    private readonly logger: Logger,
  ) {}

  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => (this.finish = resolve));
    process.on('SIGTERM', () => {
      this.stop('SIGTERM');
    });
    process.on('SIGINT', () => {
      this.stop('SIGINT');
    });
    process.on('SIGHUP', () => {
      void this.reload();
    });

    const { serverHost, serverPort, webConcurrency, webHeapLimit } = this.settings;
    if (webHeapLimit > 0) {
      // Without a limit V8 lets garbage pile up to hundreds of MiB under load before a full
      // collection; the live heap is a fraction of it. See WEB_HEAP_LIMIT.
      const megabytes = Math.max(16, Math.round(webHeapLimit / 1_048_576));
      cluster.setupPrimary({
        execArgv: [...process.execArgv, `--max-old-space-size=${String(megabytes)}`],
      });
    }
    try {
      // Port 0 is resolved once, so every worker, replacements included, binds the same port.
      this.port = await probeListen(serverHost, serverPort);
    } catch (error) {
      // A port in use is said in one line now, before any worker opens the database.
      const reason = describeListenFailure(serverHost, serverPort, error);
      if (reason === null) this.logger.fatal({ err: error }, `cannot listen on ${serverHost}`);
      else process.stderr.write(`Hoplink cannot start: ${reason}\n`);
      return 1;
    }
    if (!(await this.listenForMetrics())) return 1;
    if (this.phase === 'stopping') {
      await this.metricsListener?.close();
      return finished;
    }
    const started = await Promise.all(
      Array.from({ length: webConcurrency }, (_, slot) => this.fork(slot).listening),
    );
    if (this.phase !== 'starting' || !started.every(Boolean)) return finished;

    this.phase = 'running';
    const runtime = describeRuntime(this.settings);
    const host = isIPv6(serverHost) ? `[${serverHost}]` : serverHost;
    const url = `${this.settings.tls ? 'https' : 'http'}://${host}:${this.port}`;
    this.logger.info(
      `Hoplink listening on ${url} (profile ${this.settings.profile}, ${plural(webConcurrency, 'worker')}, ` +
        `TLS ${this.settings.tls ? 'on' : 'off'}, database ${runtime.database}, queue ${runtime.queue})`,
    );
    if (this.reloadAgain) void this.reload();
    return finished;
  }

  /** METRICS_LISTEN: the primary answers /metrics itself, for all its workers. False if it cannot. */
  private async listenForMetrics(): Promise<boolean> {
    const address = this.settings.metricsListen;
    if (!address) return true;
    const { metrics } = this;
    try {
      this.metricsListener = await startMetricsListener({
        ...address,
        token: this.settings.metricsToken,
        scrape: () => metrics.text(),
        logger: this.logger,
      });
    } catch (error) {
      const reason = describeListenFailure(address.host, address.port, error);
      if (reason === null) this.logger.fatal({ err: error }, 'cannot listen for metrics');
      else process.stderr.write(`Hoplink cannot start: METRICS_LISTEN: ${reason}\n`);
      return false;
    }
    this.logger.info(`metrics served on ${this.metricsListener.url}`);
    return true;
  }

  private fork(slot: number): Member {
    // Host and port stay the primary's for its whole life: a reload re-reads everything else.
    const worker = cluster.fork({
      ...this.overrides,
      SERVER_HOST: this.settings.serverHost,
      SERVER_PORT: String(this.port),
    });
    let settle: (listening: boolean) => void = () => undefined;
    const member: Member = {
      worker,
      pid: worker.process.pid,
      slot,
      listening: new Promise((resolve) => (settle = resolve)),
      listeningSince: undefined,
      retiring: false,
    };
    this.members.set(worker.id, member);
    worker.on('message', (message) => {
      if (this.metrics.handle(worker, message)) return;
      // Cluster handled the worker's listener close (sent before this, on the same channel).
      if (isListenerClosedMessage(message)) {
        if (worker.isConnected()) worker.send(LISTENER_CLOSED_ACK);
        return;
      }
      if (!isListeningMessage(message)) return;
      member.listeningSince = Date.now();
      settle(true);
    });
    worker.once('exit', (code: number | null, signal: string | null) => {
      settle(false);
      this.metrics.forget(worker);
      this.onExit(member, signal ? `signal ${signal}` : `code ${code ?? '?'}`, code === 0);
    });
    return member;
  }

  private onExit(member: Member, how: string, clean: boolean): void {
    this.members.delete(member.worker.id);
    if (this.phase === 'stopping') {
      if (!clean) this.exitCode = 1;
      if (this.members.size === 0) this.stopped();
      return;
    }
    if (member.retiring) return;
    if (this.phase === 'starting') {
      this.logger.error(
        `worker ${member.pid} exited with ${how} before the server was up; stopping`,
      );
      this.stop('startup failed', 1);
      return;
    }
    // A reload's new worker that failed to start: the worker it was to replace still holds the slot.
    if ([...this.members.values()].some((other) => other.slot === member.slot)) {
      this.logger.error(`new worker ${member.pid} exited with ${how} before it was ready`);
      return;
    }
    this.scheduleRestart(member, how);
  }

  private scheduleRestart(member: Member, how: string): void {
    const { slot } = member;
    const upFor = member.listeningSince === undefined ? 0 : Date.now() - member.listeningSince;
    const crashes = upFor >= STABLE_AFTER_MS ? 0 : (this.crashes.get(slot) ?? 0);
    this.crashes.set(slot, crashes + 1);
    const delay = Math.min(RESTART_DELAY_FIRST_MS * 2 ** crashes, RESTART_DELAY_MAX_MS);
    this.logger.warn(
      `worker ${member.pid} exited with ${how}; starting a replacement in ${delay / 1000}s`,
    );
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.phase === 'stopping') return;
      const replacement = this.fork(slot);
      void replacement.listening.then((listening) => {
        if (listening) this.logger.info(`worker ${replacement.pid} replaced worker ${member.pid}`);
      });
    }, delay);
    this.restartTimers.add(timer);
  }

  /** SIGHUP: replaces the workers one at a time; a SIGHUP during a reload queues one more. */
  private async reload(): Promise<void> {
    if (this.phase === 'stopping') return;
    if (this.phase === 'starting' || this.reloading) {
      this.reloadAgain = true;
      this.logger.info('SIGHUP: reload queued');
      return;
    }
    this.reloading = true;
    this.reloadAgain = false;
    do await this.replaceWorkers();
    while (this.takeQueuedReload());
    this.reloading = false;
  }

  /** Settings may have changed again after the first new worker of a reload had read them. */
  private takeQueuedReload(): boolean {
    const queued = this.reloadAgain && this.phase === 'running';
    this.reloadAgain = false;
    return queued;
  }

  private async replaceWorkers(): Promise<void> {
    const current = [...this.members.values()].filter((member) => !member.retiring);
    this.logger.info(`SIGHUP: reloading ${plural(current.length, 'worker')} one at a time`);
    // The embedded database admits one process at a time, so there the old worker leaves before
    // its replacement opens it: a short gap without a listener, acceptable in development only.
    const stopFirst = this.settings.databaseUrl === undefined;
    for (const old of current) {
      // A worker that crashed meanwhile was (or will be) replaced with the new settings anyway.
      if (!this.members.has(old.worker.id)) continue;
      if (stopFirst) await this.retire(old);
      const next = this.fork(old.slot);
      const ready = await next.listening;
      if (this.phase !== 'running') return;
      if (!ready) {
        this.logger.error(
          'reload stopped: a new worker failed to start; the others keep serving as before',
        );
        return;
      }
      if (!stopFirst) await this.retire(old);
    }
    this.logger.info(`reload complete: ${plural(current.length, 'worker')} replaced`);
  }

  /** Asks a worker to drain and waits for its exit, killing it if it overstays the timeout. */
  private retire(member: Member): Promise<void> {
    if (!this.members.has(member.worker.id)) return Promise.resolve();
    member.retiring = true;
    const exited = new Promise<void>((resolve) => {
      member.worker.once('exit', () => {
        resolve();
      });
    });
    member.worker.send(DRAIN_MESSAGE, () => undefined); // an error only means it already left
    const killer = setTimeout(() => {
      this.logger.error(
        `worker ${member.pid} did not exit within the shutdown timeout; killing it`,
      );
      member.worker.process.kill('SIGKILL');
    }, this.settings.serverShutdownTimeout + EXIT_GRACE_MS);
    return exited.finally(() => {
      clearTimeout(killer);
    });
  }

  private stop(reason: string, exitCode = 0): void {
    if (this.phase === 'stopping') {
      this.logger.info(`${reason}: already stopping`);
      return;
    }
    this.phase = 'stopping';
    this.exitCode = exitCode;
    for (const timer of this.restartTimers) clearTimeout(timer);
    if (this.members.size === 0) {
      this.stopped();
      return;
    }
    this.logger.info(
      `${reason}: draining ${plural(this.members.size, 'worker')} (at most ${this.settings.serverShutdownTimeout / 1000}s)`,
    );
    for (const member of this.members.values()) void this.retire(member);
  }

  private stopped(): void {
    if (this.exitCode === 0) this.logger.info('stopped');
    else this.logger.warn('stopped (not cleanly: see above)');
    const listener = this.metricsListener;
    if (listener) {
      void listener.close().then(() => {
        this.finish(this.exitCode);
      });
    } else this.finish(this.exitCode);
  }
}

/**
 * Binds the address once and releases it for the workers: port 0 learns a free port, any other
 * fails here if it is taken or not allowed.
 */
function probeListen(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => {
      const bound = (probe.address() as AddressInfo).port;
      probe.close(() => {
        resolve(bound);
      });
    });
  });
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
