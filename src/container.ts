import type { Settings } from '#src/settings/index.ts';
import { createLogger, type Logger } from '#src/lib/logger.ts';
import type { DestinationStream } from 'pino';

/**
 * The composition root: everything a process role (web, worker, CLI) needs, built from the
 * settings by explicit factories. The only place concrete adapters are chosen.
 */
export interface Container {
  readonly settings: Settings;
  readonly logger: Logger;
  /** Checks each dependency the process relies on; used by /readyz. */
  readonly readiness: () => Promise<ReadinessReport>;
  /** Releases pools and handles; safe to call twice. */
  readonly close: () => Promise<void>;
}

export interface ReadinessReport {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, 'ok' | 'failing'>>;
}

export interface ContainerOptions {
  /** Log destination override (tests collect lines). */
  readonly logDestination?: DestinationStream;
}

export function createContainer(settings: Settings, options: ContainerOptions = {}): Container {
  const logger = createLogger({
    level: settings.logLevel,
    format: settings.logFormat,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  // Dependencies (database, queue) register their readiness probes here as they arrive.
  const probes: Record<string, () => Promise<void>> = {};
  return {
    settings,
    logger,
    readiness: async () => {
      const entries = await Promise.all(
        Object.entries(probes).map(async ([name, probe]) => {
          try {
            await probe();
            return [name, 'ok'] as const;
          } catch (error) {
            logger.warn({ err: error, dependency: name }, 'readiness probe failed');
            return [name, 'failing'] as const;
          }
        }),
      );
      return {
        ok: entries.every(([, state]) => state === 'ok'),
        checks: Object.fromEntries(entries),
      };
    },
    close: () => Promise.resolve(),
  };
}
