import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createContainer } from '#src/container.ts';
import type { DatabaseHandle } from '#src/db/client.ts';
import { createTestDatabase } from './database.ts';
import { buildServer } from '#src/http/build-server.ts';
import { formatFindings, hasErrors, loadSettings, type Settings } from '#src/settings/index.ts';

/** Collects pino's JSON lines so a test can assert on what an operator would read. */
export class LogCollector {
  readonly lines: string[] = [];

  write(line: string): void {
    this.lines.push(line);
  }

  get text(): string {
    return this.lines.join('');
  }

  entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

let shared: Promise<DatabaseHandle> | undefined;

/**
 * One migrated in-memory PGlite per test process (starting one takes seconds); tests isolate
 * themselves by creating fresh users, not by truncating tables.
 */
export function sharedDatabase(): Promise<DatabaseHandle> {
  shared ??= createTestDatabase('pglite').then((database) => database.handle);
  return shared;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly settings: Settings;
  readonly logs: LogCollector;
  readonly close: () => Promise<void>;
}

/**
 * The real application (every plugin, real settings loader) for `inject` tests. Settings come
 * only from `env` (never the developer's shell or .env), on the test profile.
 */
export async function buildTestApp(
  env: Record<string, string> = {},
  /** Extra routes for a test that needs one (a route that throws, say); added before ready. */
  extend?: (app: FastifyInstance) => void,
): Promise<TestApp> {
  const loaded = loadSettings({
    env: { NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
    envFile: '/nonexistent/.env',
    persistDevSecret: false,
  });
  assert.ok(!hasErrors(loaded.findings), formatFindings(loaded.findings));
  const logs = new LogCollector();
  const container = await createContainer(loaded.settings, {
    logDestination: logs,
    database: await sharedDatabase(),
  });
  const app = buildServer(container);
  extend?.(app);
  await app.ready();
  return {
    app,
    settings: loaded.settings,
    logs,
    close: async () => {
      await app.close();
      await container.close();
    },
  };
}
