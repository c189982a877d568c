import { describeListenFailure } from '#src/cli/dependency-failure.ts';
import { StartupError, type Container } from '#src/container.ts';
import { startMetricsListener, type MetricsListener } from '#src/metrics/metrics-listener.ts';

/**
 * The worker's /metrics on WORKER_METRICS_LISTEN (null when unset), with the queue counts read
 * from Redis here: one worker reports them, not every web process. Throws StartupError when the
 * address cannot be bound. Decision 0022.
 */
export async function startWorkerMetrics(container: Container): Promise<MetricsListener | null> {
  const { settings, metrics, jobs, logger } = container;
  const address = settings.workerMetricsListen;
  if (!address) return null;
  metrics.watchQueues(() => jobs.overview({ failedLimit: 0 }));
  let listener: MetricsListener;
  try {
    listener = await startMetricsListener({
      ...address,
      token: settings.metricsToken,
      scrape: () => metrics.text(),
      logger,
    });
  } catch (error) {
    const reason = describeListenFailure(address.host, address.port, error);
    throw new StartupError(`WORKER_METRICS_LISTEN: ${reason ?? String(error)}`);
  }
  logger.info(`metrics served on ${listener.url}`);
  return listener;
}
