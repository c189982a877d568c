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
import { dotenvOption, parseCommand, UsageError, withUsage } from './common.ts';

/**
 * `hoplink check [--deploy] [--fail-level L] [--json]`: reports every finding; exits 1 when any
 * is at or above the fail level (default: error), 0 otherwise, 2 on a usage error.
 */
export function run(argv: string[]): Promise<number> {
  return withUsage(async () => {
    const { values } = parseCommand(CHECK, argv);
    const failLevel = values['fail-level'] as Level;
    if (!LEVELS.includes(failLevel))
      throw new UsageError(`--fail-level must be one of: ${LEVELS.join(', ')}`);

    const loaded = loadSettings({
      persistDevSecret: false,
      ...dotenvOption(values.dotenv),
    });
    const findings: Finding[] = [
      ...loaded.findings,
      ...(values.deploy ? deployChecks(loaded) : []),
      ...(values.deploy ? await databaseChecks(databaseTarget(loaded.settings)) : []),
    ];
    const failing = findings.filter((finding) => atLeast(finding.level, failLevel));

    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ profile: loaded.settings.profile, deploy: Boolean(values.deploy), failLevel, findings }, null, 2)}\n`,
      );
    } else {
      for (const finding of findings) process.stdout.write(`${formatFinding(finding)}\n`);
      const counts = LEVELS.map((level) => {
        const count = findings.filter((finding) => finding.level === level).length;
        return `${count} ${level === 'info' ? 'note' : level}${count === 1 ? '' : 's'}`;
      }).reverse();
      process.stdout.write(
        `${findings.length === 0 ? 'No issues found' : counts.join(', ')} (profile ${loaded.settings.profile}${values.deploy ? ', deploy audit' : ''}).\n`,
      );
    }
    return failing.length > 0 ? 1 : 0;
  });
}
