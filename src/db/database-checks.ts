import type { Finding } from '#src/settings/index.ts';
import { openDatabase, type DatabaseTarget } from './client.ts';
import { migrationStatus } from './migrator.ts';

/**
 * The part of `check --deploy` that needs the database: pending or edited migrations. Only for
 * PostgreSQL (an embedded database may be held open by a running server) and only when it
 * answers; an unreachable database is noted, not failed, since CI may not reach production.
 */
export async function databaseChecks(target: DatabaseTarget): Promise<Finding[]> {
  if (target.kind !== 'postgres') return [];
  const url = new URL(target.url);
  url.searchParams.set('connect_timeout', '3');
  let handle;
  try {
    handle = await openDatabase({ ...target, url: url.toString(), poolMax: 1 });
    const status = await migrationStatus(handle);
    const findings: Finding[] = [];
    if (status.pending.length > 0) {
      findings.push({
        id: 'hoplink.W019',
        level: 'warning',
        setting: 'DATABASE_URL',
        message: `the database has ${status.pending.length} pending migration(s): ${status.pending.map((m) => m.name).join(', ')}.`,
        hint: 'Run `hoplink migrate` before starting the new release (production never migrates on start).',
      });
    }
    if (status.modified.length > 0) {
      findings.push({
        id: 'hoplink.W020',
        level: 'warning',
        setting: 'DATABASE_URL',
        message: `applied migration(s) changed since they ran: ${status.modified.join(', ')}.`,
        hint: 'Never edit an applied migration; restore the file and add a new migration instead.',
      });
    }
    return findings;
  } catch (error) {
    return [
      {
        id: 'hoplink.I001',
        level: 'info',
        setting: 'DATABASE_URL',
        message: `the database could not be reached from here (${(error as Error).message.split('\n')[0] ?? 'error'}); migrations were not checked.`,
        hint: 'Run the check where the database is reachable, or run `hoplink migrate --check` at deploy time.',
      },
    ];
  } finally {
    await handle?.close();
  }
}
