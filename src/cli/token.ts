import { createContainer, type Container } from '#src/container.ts';
import {
  DOTENV_OPTION,
  dotenvOption,
  loadSettingsOrReport,
  parseCommandLine,
  UsageError,
  withUsage,
} from './common.ts';
import { reaching } from './dependency-failure.ts';
import { reportRefusal } from './terminal.ts';

const USAGE =
  'usage: hoplink token create --email E --name N [--scopes links:read,links:write] | hoplink token revoke <prefix>';

async function create(
  container: Container,
  options: { email?: string; name?: string; scopes?: string },
): Promise<number> {
  if (options.email === undefined || options.name === undefined) {
    throw new UsageError(`token create needs --email and --name\n${USAGE}`);
  }
  const user = await container.users.findByEmail(options.email);
  if (!user) {
    process.stderr.write(`hoplink: no account has the email address ${options.email}\n`);
    return 1;
  }
  const scopes = (options.scopes ?? 'links:read,links:write')
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '');
  const { token, apiToken } = await container.apiTokens.create(user.id, {
    name: options.name,
    scopes,
  });
  // Only the token on stdout, so `TOKEN=$(hoplink token create …)` captures exactly it.
  process.stdout.write(`${token}\n`);
  process.stderr.write(
    `Created API token "${apiToken.name}" (${apiToken.prefix}) for ${user.email} with scopes ${apiToken.scopes.join(', ')}. It is shown this once; only its hash is stored.\n`,
  );
  return 0;
}

async function revoke(container: Container, prefix: string): Promise<number> {
  const revoked = await container.apiTokens.revokeByPrefix(prefix);
  process.stdout.write(
    `Revoked API token "${revoked.name}" (${revoked.prefix}) of ${revoked.email}.\n`,
  );
  return 0;
}

/**
 * `hoplink token create --email E --name N [--scopes …]` prints a new personal API token once
 * (for automation); `hoplink token revoke <prefix>` revokes one by the prefix lists show.
 */
export function run(argv: string[]): Promise<number> {
  return withUsage(async () => {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        email: { type: 'string' },
        name: { type: 'string' },
        scopes: { type: 'string' },
        ...DOTENV_OPTION,
      },
      true,
    );
    const [action, ...rest] = positionals;
    const valid =
      (action === 'create' && rest.length === 0) || (action === 'revoke' && rest.length === 1);
    if (!valid) throw new UsageError(USAGE);
    const loaded = loadSettingsOrReport({ ...dotenvOption(values.dotenv) });
    if (!loaded) return 1;
    const container = await reaching('database', loaded.settings, () =>
      createContainer(loaded.settings, { logDestination: process.stderr }),
    );
    try {
      return action === 'create'
        ? await create(container, values)
        : await revoke(container, rest[0] ?? '');
    } catch (error) {
      return reportRefusal(error);
    } finally {
      await container.close();
    }
  });
}
