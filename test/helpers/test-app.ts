import assert from 'node:assert/strict';
import { after } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createContainer, type Container } from '#src/container.ts';
import type { DatabaseHandle } from '#src/db/client.ts';
import {
  createTestDatabase,
  POSTGRES_ADMIN_URL,
  postgresReachable,
  type Backend,
  type TestDatabase,
} from './database.ts';
import { buildServer } from '#src/http/build-server.ts';
import { formatFindings, hasErrors, loadSettings, type Settings } from '#src/settings/index.ts';
import { LogCollector } from './log-collector.ts';

/**
 * The backend of the shared test database: `HOPLINK_TEST_DATABASE=postgres` runs the suite on a
 * throwaway PostgreSQL database per test process (CI's second run); PGlite otherwise.
 */
export function sharedBackend(): Backend {
  const chosen = process.env.HOPLINK_TEST_DATABASE ?? 'pglite';
  if (chosen !== 'pglite' && chosen !== 'postgres') {
    throw new Error(`HOPLINK_TEST_DATABASE must be pglite or postgres, not ${chosen}`);
  }
  return chosen;
}

let shared: Promise<TestDatabase> | undefined;

async function openShared(backend: Backend): Promise<TestDatabase> {
  // Asked for explicitly (CI), so a missing server fails loudly instead of skipping.
  if (backend === 'postgres' && !(await postgresReachable())) {
    throw new Error(
      `HOPLINK_TEST_DATABASE=postgres but PostgreSQL is not reachable at ${new URL(POSTGRES_ADMIN_URL).host}`,
    );
  }
  return createTestDatabase(backend);
}

// A root-level hook: runs once this file's tests are done. A PostgreSQL pool, or a PGlite loaded
// from the template dump, would otherwise keep the process alive, and a throwaway PostgreSQL
// database would outlive it. (With `await describe(…)` at the top level it runs after the first
// one: declare a file's suites without awaiting them.)
after(async () => {
  await (await shared)?.drop();
});

/**
 * One migrated database per test process (an in-memory PGlite takes seconds to start); tests
 * isolate themselves by creating fresh users, not by truncating tables.
 */
export async function sharedDatabase(): Promise<DatabaseHandle> {
  shared ??= openShared(sharedBackend());
  return (await shared).handle;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly settings: Settings;
  /** The app's services, e.g. to create links the way a page or the API would. */
  readonly container: Container;
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
    container,
    logs,
    close: async () => {
      await app.close();
      await container.close();
    },
  };
}
