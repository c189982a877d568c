import { join } from 'node:path';
import type { Settings } from '#src/settings/index.ts';
import type { DatabaseTarget } from './client.ts';

/** PostgreSQL when DATABASE_URL is set; otherwise embedded PGlite (in memory for tests). */
export function databaseTarget(settings: Settings): DatabaseTarget {
  if (settings.databaseUrl) {
    return {
      kind: 'postgres',
      url: settings.databaseUrl.reveal(),
      poolMax: settings.databasePoolMax,
    };
  }
  return {
    kind: 'pglite',
    dataDir: settings.profile === 'test' ? null : join(settings.dataDir, 'db'),
  };
}
