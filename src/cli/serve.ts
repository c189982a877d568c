import cluster from 'node:cluster';
import { builtAssetsProblem } from '#src/http/assets/asset-manifest.ts';
import { runSupervisor } from '#src/process/supervisor.ts';
import { runWebWorker } from '#src/process/web-worker.ts';
import { SERVE } from './commands.ts';
import { loadSettingsOrReport, parseCommand, settingsSource, withUsage } from './common.ts';
import type { Invocation } from './invocation.ts';

/**
 * `hoplink serve [--host H] [--port P] [--workers N] [--tls-cert F --tls-key F] [--dotenv F]`:
 * the primary supervises web workers, which node:cluster starts by running this command again.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  return withUsage(invocation.stderr, async () => {
    const { values } = parseCommand(SERVE, argv);
    // A worker's environment already holds the overrides (and the port the primary settled on).
    // It leaves by process.exit because its IPC channel to the primary would keep it alive.
    if (cluster.isWorker)
      process.exit(await runWebWorker(settingsSource(invocation, values.dotenv)));

    // Each flag is a shorthand for the setting it overrides, so both are validated the same way.
    const overrides: Record<string, string> = {};
    for (const [flag, spec] of Object.entries(SERVE.options)) {
      const value = values[flag as keyof typeof values];
      if ('setting' in spec && value !== undefined) overrides[spec.setting] = value;
    }
    const loaded = loadSettingsOrReport(
      { ...invocation, env: { ...invocation.env, ...overrides } },
      values.dotenv,
    );
    if (!loaded) return 1;
    // Pages must not go out with stylesheets and scripts that 404: say so once, before forking.
    const assetsProblem =
      loaded.settings.profile === 'production'
        ? builtAssetsProblem(loaded.settings.staticRoot)
        : null;
    if (assetsProblem) {
      invocation.stderr.write(`Hoplink cannot start: ${assetsProblem}\n`);
      return 1;
    }
    return runSupervisor(loaded.settings, overrides);
  });
}
