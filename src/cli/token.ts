import { createContainer, type Container } from '#src/container.ts';
import { DEFAULT_API_TOKEN_SCOPES } from '#src/modules/accounts/index.ts';
import { TOKEN } from './commands.ts';
import { loadSettingsOrReport, parseCommand, UsageError, withUsage } from './common.ts';
import { reaching } from './dependency-failure.ts';
import type { Invocation } from './invocation.ts';
import { reportRefusal } from './terminal.ts';

const USAGE =
  'usage: hoplink token create --email E --name N [--scopes links:read,links:write] | hoplink token revoke <prefix>\n' +
  `--scopes defaults to ${DEFAULT_API_TOKEN_SCOPES.join(',')} (read-only); name links:write too to let the token change links.`;

async function create(
  container: Container,
  options: { email?: string; name?: string; scopes?: string },
  { stdout, stderr }: Invocation,
): Promise<number> {
  if (options.email === undefined || options.name === undefined) {
    throw new UsageError(`token create needs --email and --name\n${USAGE}`);
  }
  const user = await container.users.findByEmail(options.email);
  if (!user) {
    stderr.write(`hoplink: no account has the email address ${options.email}\n`);
    return 1;
  }
  // Least privilege, as on /settings/tokens: writing is asked for, never implied.
  const scopes =
    options.scopes === undefined
      ? DEFAULT_API_TOKEN_SCOPES
      : options.scopes
          .split(',')
          .map((scope) => scope.trim())
          .filter((scope) => scope !== '');
  const { token, apiToken } = await container.apiTokens.create(user.id, {
    name: options.name,
    scopes,
  });
  // Only the token on stdout, so `TOKEN=$(hoplink token create …)` captures exactly it.
  stdout.write(`${token}\n`);
  const access = apiToken.scopes.includes('links:write')
    ? ''
    : ' (read-only: pass --scopes links:read,links:write to let it change links)';
  stderr.write(
    `Created API token "${apiToken.name}" (${apiToken.prefix}) for ${user.email} with scopes ${apiToken.scopes.join(', ')}${access}. It is shown this once; only its hash is stored.\n`,
  );
  return 0;
}

async function revoke(
  container: Container,
  prefix: string,
  { stdout }: Invocation,
): Promise<number> {
  const revoked = await container.apiTokens.revokeByPrefix(prefix);
  stdout.write(`Revoked API token "${revoked.name}" (${revoked.prefix}) of ${revoked.email}.\n`);
  return 0;
}

/**
 * `hoplink token create --email E --name N [--scopes …]` prints a new personal API token once
 * (for automation), read-only unless --scopes names links:write; `hoplink token revoke <prefix>`
 * revokes one by the prefix lists show.
 */
export function run(argv: string[], invocation: Invocation): Promise<number> {
  return withUsage(invocation.stderr, async () => {
    const { values, positionals } = parseCommand(TOKEN, argv);
    const [action, ...rest] = positionals;
    const valid =
      (action === 'create' && rest.length === 0) || (action === 'revoke' && rest.length === 1);
    if (!valid) throw new UsageError(USAGE);
    const loaded = loadSettingsOrReport(invocation, values.dotenv);
    if (!loaded) return 1;
    const container = await reaching('database', loaded.settings, () =>
      createContainer(loaded.settings, { logDestination: invocation.stderr }),
    );
    try {
      return action === 'create'
        ? await create(container, values, invocation)
        : await revoke(container, rest[0] ?? '', invocation);
    } catch (error) {
      return reportRefusal(error, invocation.stderr);
    } finally {
      await container.close();
    }
  });
}
