import type { Logger } from './logger.ts';

export type DependencyState = 'ok' | 'failing';

export interface ReadinessCheck {
  readonly probe: () => Promise<void>;
  /**
   * Whether the process can do its job without it. Without an essential dependency it is
   * `unavailable` (503: send traffic elsewhere); without another one it is `degraded` but serves.
   */
  readonly essential: boolean;
}

export interface ReadinessReport {
  readonly status: 'ok' | 'degraded' | 'unavailable';
  readonly checks: Readonly<Record<string, DependencyState>>;
}

/**
 * A probe that does not answer within this counts as failing, so /readyz answers before the
 * prober gives up (3 s in the Kubernetes manifests): a hung Redis must read as degraded, not as
 * a timeout that takes the instance out.
 */
export const PROBE_TIMEOUT_MS = 2_000;

/**
 * Runs every check in parallel, bounded by `timeoutMs`. Concurrent callers share one run, and a
 * dependency's state is logged when it changes (not on every probe: a load balancer asks every
 * few seconds).
 */
export function createReadiness(
  checks: Readonly<Record<string, ReadinessCheck>>,
  logger: Pick<Logger, 'warn' | 'info'>,
  timeoutMs = PROBE_TIMEOUT_MS,
): () => Promise<ReadinessReport> {
  const last = new Map<string, DependencyState>();
  let running: Promise<ReadinessReport> | null = null;

  async function checkOne(name: string, check: ReadinessCheck): Promise<DependencyState> {
    let state: DependencyState = 'ok';
    let failure: unknown;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check.probe(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`no answer within ${timeoutMs} ms`));
          }, timeoutMs);
        }),
      ]);
    } catch (error) {
      state = 'failing';
      failure = error;
    } finally {
      clearTimeout(timer);
    }
    if (state !== (last.get(name) ?? 'ok')) {
      if (state === 'failing') {
        const effect = check.essential ? 'unavailable' : 'degraded';
        logger.warn(
          { err: failure, dependency: name, readiness: effect },
          `readiness: ${name} is failing; this process is ${effect}`,
        );
      } else {
        logger.info({ dependency: name }, `readiness: ${name} answers again`);
      }
    }
    last.set(name, state);
    return state;
  }

  async function run(): Promise<ReadinessReport> {
    const results = await Promise.all(
      Object.entries(checks).map(
        async ([name, check]) => [name, check, await checkOne(name, check)] as const,
      ),
    );
    const failing = results.filter(([, , state]) => state === 'failing');
    const status = failing.some(([, check]) => check.essential)
      ? 'unavailable'
      : failing.length > 0
        ? 'degraded'
        : 'ok';
    return { status, checks: Object.fromEntries(results.map(([name, , state]) => [name, state])) };
  }

  return () => {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  };
}
