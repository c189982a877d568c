import { finding, type Finding } from '#src/settings/index.ts';
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
    if (status.pending.length > 0)
      findings.push(finding('W019', { pending: status.pending.map((m) => m.name) }));
    if (status.modified.length > 0) findings.push(finding('W020', { modified: status.modified }));
    return findings;
  } catch (error) {
    return [finding('I001', { reason: (error as Error).message.split('\n')[0] ?? 'error' })];
  } finally {
    await handle?.close();
  }
}
