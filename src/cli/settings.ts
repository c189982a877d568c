import {
  describeEffectiveSettings,
  formatFindings,
  loadSettings,
  settingsReference,
} from '#src/settings/index.ts';
import { ENV_FILE_OPTION, parseCommandLine, withUsage } from './common.ts';

/** `hoplink settings [--doc]`: the effective values (secrets masked), or the reference table. */
export function run(argv: string[]): Promise<number> {
  return withUsage(() => {
    const { values } = parseCommandLine(argv, { doc: { type: 'boolean' }, ...ENV_FILE_OPTION });
    if (values.doc) {
      process.stdout.write(settingsReference());
      return 0;
    }
    const loaded = loadSettings({
      persistDevSecret: false,
      ...(values['env-file'] ? { envFile: values['env-file'] } : {}),
    });
    process.stdout.write(`${describeEffectiveSettings(loaded)}\n`);
    if (loaded.findings.length > 0) process.stderr.write(`\n${formatFindings(loaded.findings)}\n`);
    return 0;
  });
}
