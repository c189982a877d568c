import {
  describeEffectiveSettings,
  formatFindings,
  loadSettings,
  settingsReference,
} from '#src/settings/index.ts';
import { SETTINGS } from './commands.ts';
import { dotenvOption, parseCommand, withUsage } from './common.ts';

/** `hoplink settings [--doc]`: the effective values (secrets masked), or the reference table. */
export function run(argv: string[]): Promise<number> {
  return withUsage(() => {
    const { values } = parseCommand(SETTINGS, argv);
    if (values.doc) {
      process.stdout.write(settingsReference());
      return 0;
    }
    const loaded = loadSettings({
      persistDevSecret: false,
      ...dotenvOption(values.dotenv),
    });
    process.stdout.write(`${describeEffectiveSettings(loaded)}\n`);
    if (loaded.findings.length > 0) process.stderr.write(`\n${formatFindings(loaded.findings)}\n`);
    return 0;
  });
}
