import {
  describeEffectiveSettings,
  formatFindings,
  loadSettings,
  settingsReference,
} from '#src/settings/index.ts';
import { SETTINGS } from './commands.ts';
import { parseCommand, settingsSource, withUsage } from './common.ts';
import type { Invocation } from './invocation.ts';

/** `hoplink settings [--doc]`: the effective values (secrets masked), or the reference table. */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  const { stdout, stderr } = invocation;
  return withUsage(stderr, () => {
    const { values } = parseCommand(SETTINGS, argv);
    if (values.doc) {
      stdout.write(settingsReference());
      return 0;
    }
    const loaded = loadSettings({
      persistDevSecret: false,
      ...settingsSource(invocation, values.dotenv),
    });
    stdout.write(`${describeEffectiveSettings(loaded)}\n`);
    if (loaded.findings.length > 0) stderr.write(`\n${formatFindings(loaded.findings)}\n`);
    return 0;
  });
}
