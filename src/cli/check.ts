import {
  atLeast,
  deployChecks,
  formatFinding,
  LEVELS,
  loadSettings,
  type Finding,
  type Level,
} from '#src/settings/index.ts';
import { databaseChecks } from '#src/db/database-checks.ts';
import { databaseTarget } from '#src/db/database-target.ts';
import { CHECK } from './commands.ts';
import { parseCommand, settingsSource, UsageError, withUsage } from './common.ts';
import type { Invocation } from './invocation.ts';

/**
 * `hoplink check [--deploy] [--fail-level L] [--json]`: reports every finding; exits 1 when any
 * is at or above the fail level (default: error), 0 otherwise, 2 on a usage error.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  const { stdout } = invocation;
  return withUsage(invocation.stderr, async () => {
    const { values } = parseCommand(CHECK, argv);
    const failLevel = values['fail-level'] as Level;
    if (!LEVELS.includes(failLevel))
      throw new UsageError(`--fail-level must be one of: ${LEVELS.join(', ')}`);

    const loaded = loadSettings({
      persistDevSecret: false,
      ...settingsSource(invocation, values.dotenv),
    });
    const findings: Finding[] = [
      ...loaded.findings,
      ...(values.deploy ? deployChecks(loaded) : []),
      ...(values.deploy ? await databaseChecks(databaseTarget(loaded.settings)) : []),
    ];
    const failing = findings.filter((finding) => atLeast(finding.level, failLevel));

    if (values.json) {
      stdout.write(
        `${JSON.stringify({ profile: loaded.settings.profile, deploy: Boolean(values.deploy), failLevel, findings }, null, 2)}\n`,
      );
    } else {
      for (const finding of findings) stdout.write(`${formatFinding(finding)}\n`);
      const counts = LEVELS.map((level) => {
        const count = findings.filter((finding) => finding.level === level).length;
        return `${count} ${level === 'info' ? 'note' : level}${count === 1 ? '' : 's'}`;
      }).reverse();
      stdout.write(
        `${findings.length === 0 ? 'No issues found' : counts.join(', ')} (profile ${loaded.settings.profile}${values.deploy ? ', deploy audit' : ''}).\n`,
      );
    }
    return failing.length > 0 ? 1 : 0;
  });
}
