/**
 * Every command's name, summary, usage and flags, declared once: each command parses its argv
 * with these options (node:util parseArgs ignores the extra `help`, `value` and `setting`) and
 * `hoplink <command> --help` prints them. Data only, so help never loads a command's code.
 */

/** One flag: parseArgs' own fields, plus what the help prints. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly default?: string | boolean;
  /** What the help says the flag does. */
  readonly help: string;
  /** The value's placeholder in the help (`N`, `FILE`); string flags only. */
  readonly value?: string;
  /** The setting the flag overrides for this run (`serve --port` → SERVER_PORT). */
  readonly setting?: string;
}

export type Flags = Readonly<Record<string, FlagSpec>>;

export interface CommandSpec<O extends Flags = Flags> {
  readonly name: string;
  /** One line for the command list of `hoplink --help`. */
  readonly summary: string;
  /** What follows `hoplink ` in the usage line(s). */
  readonly usage: readonly string[];
  /** What the command does, a sentence or two for its own help. */
  readonly description: string;
  readonly options: O;
  /** Whether it takes arguments besides its flags (`send-test-email <to>`). */
  readonly positionals?: boolean;
  /** Its exit codes; unless given: 0 done, 1 failed, 2 usage error. */
  readonly exitCodes?: readonly (readonly [code: number, meaning: string])[];
}

function command<const N extends string, const O extends Flags>(
  spec: CommandSpec<O> & { readonly name: N },
): CommandSpec<O> & { readonly name: N } {
  return spec;
}

/** `--dotenv FILE`, taken by every command that reads settings. */
export const DOTENV_FLAG = {
  // Not `--env-file`: Node 20 takes that flag for itself even after the script name.
  dotenv: { type: 'string', value: 'FILE', help: 'read this dotenv file instead of ./.env' },
} as const;

export const EXIT_USAGE = 2;

/** `migrate --check`: pending migrations (1, as always) differ from not being able to tell. */
export const MIGRATE_CHECK_EXIT = { upToDate: 0, pending: 1, failed: 3 } as const;

export const SERVE = command({
  name: 'serve',
  summary: 'run the web server',
  usage: ['serve [--host H] [--port P] [--workers N] [--tls-cert FILE --tls-key FILE]'],
  description:
    'Runs the web server: a primary process and WEB_CONCURRENCY workers. SIGHUP replaces the workers one by one with fresh settings; SIGTERM drains them and exits 0.',
  options: {
    host: { type: 'string', value: 'HOST', setting: 'SERVER_HOST', help: 'address to listen on' },
    port: { type: 'string', value: 'PORT', setting: 'SERVER_PORT', help: 'port to listen on' },
    workers: {
      type: 'string',
      value: 'N',
      setting: 'WEB_CONCURRENCY',
      help: 'number of worker processes',
    },
    'tls-cert': {
      type: 'string',
      value: 'FILE',
      setting: 'SERVER_TLS_CERT',
      help: 'PEM certificate chain: serve HTTPS',
    },
    'tls-key': {
      type: 'string',
      value: 'FILE',
      setting: 'SERVER_TLS_KEY',
      help: 'PEM private key of that certificate',
    },
    ...DOTENV_FLAG,
  },
});

export const CHECK = command({
  name: 'check',
  summary: 'validate the configuration; --deploy adds the production audit',
  usage: ['check [--deploy] [--fail-level error|warning|info] [--json]'],
  description:
    'Validates the configuration and prints every finding; --deploy adds the production audit (docs/checks.md), including pending migrations when the database answers.',
  options: {
    deploy: { type: 'boolean', help: 'add the production audit' },
    'fail-level': {
      type: 'string',
      default: 'error',
      value: 'LEVEL',
      help: 'exit 1 on findings at or above this level: error, warning or info',
    },
    json: { type: 'boolean', help: 'print the findings as JSON' },
    ...DOTENV_FLAG,
  },
  exitCodes: [
    [0, 'no finding at or above --fail-level'],
    [1, 'a finding at or above --fail-level'],
    [2, 'usage error'],
  ],
});

export const WORKER = command({
  name: 'worker',
  summary: 'process background jobs from Redis',
  usage: ['worker [--queues email,clicks,default] [--concurrency N]'],
  description:
    'Processes background jobs from Redis (emails, click batches, scheduled purges) until SIGTERM, then finishes the jobs in flight within SERVER_SHUTDOWN_TIMEOUT and exits 0.',
  options: {
    queues: {
      type: 'string',
      value: 'LIST',
      help: 'comma-separated queues to take jobs from (default: all)',
    },
    concurrency: { type: 'string', value: 'N', help: 'jobs run at once per queue (default: 4)' },
    ...DOTENV_FLAG,
  },
});

export const SEND_TEST_EMAIL = command({
  name: 'send-test-email',
  summary: 'send one email through the configured transport',
  usage: ['send-test-email <to>'],
  description:
    'Sends one email to <to> right away (not through the queue) with the transport EMAIL_URL configures, and says whether the server took it.',
  options: { ...DOTENV_FLAG },
  positionals: true,
});

export const MIGRATE = command({
  name: 'migrate',
  summary: 'apply pending database migrations; --check only lists them',
  usage: ['migrate [--check]'],
  description:
    'Applies pending database migrations, each in its own transaction, under a lock that makes a second run wait; with --check it only lists the pending ones.',
  options: {
    check: { type: 'boolean', help: 'apply nothing; list pending migrations' },
    ...DOTENV_FLAG,
  },
  exitCodes: [
    [0, 'migrated, or (--check) no migration is pending'],
    [1, `the migration failed, or (--check) migrations are pending`],
    [2, 'usage error'],
    [
      MIGRATE_CHECK_EXIT.failed,
      '(--check) could not tell: a configuration error, or the database could not be used',
    ],
  ],
});

export const SETTINGS = command({
  name: 'settings',
  summary: 'print the effective settings (secrets masked); --doc the reference',
  usage: ['settings [--doc]'],
  description:
    'Prints the effective settings with secrets masked, and any findings; --doc prints the settings reference instead (the source of docs/settings.md).',
  options: {
    doc: { type: 'boolean', help: 'print the settings reference' },
    ...DOTENV_FLAG,
  },
});

export const BUILD = command({
  name: 'build',
  summary: 'build the static assets; needs no settings',
  usage: ['build [--out DIR]'],
  description:
    'Bundles and minifies the browser assets with content-hashed names, .gz and .br siblings and a manifest. Reads no settings and no secrets.',
  options: {
    out: { type: 'string', value: 'DIR', help: 'where to write (default: dist/static)' },
  },
});

export const CREATESUPERUSER = command({
  name: 'createsuperuser',
  summary: 'create a staff account',
  usage: ['createsuperuser [--email E --username U]'],
  description:
    'Creates a staff account. On a terminal it asks for what is missing; otherwise both flags are needed and the password is the first line of stdin (never a flag: flags show in ps).',
  options: {
    email: { type: 'string', value: 'E', help: 'email address of the account' },
    username: { type: 'string', value: 'U', help: 'username of the account' },
    ...DOTENV_FLAG,
  },
});

export const HEALTHCHECK = command({
  name: 'healthcheck',
  summary: 'container health check: the local /healthz, or the worker heartbeat',
  usage: ['healthcheck [--worker]'],
  description:
    "The container health check: asks the local web server's /healthz (no dependency is touched), or with --worker checks that the worker's heartbeat is fresh.",
  options: {
    worker: { type: 'boolean', help: "check the worker's heartbeat instead" },
    ...DOTENV_FLAG,
  },
  exitCodes: [
    [0, 'healthy'],
    [1, 'unhealthy'],
    [2, 'usage error'],
  ],
});

export const TOKEN = command({
  name: 'token',
  summary: 'create an API token (printed once), or revoke one',
  usage: ['token create --email E --name N [--scopes SCOPES]', 'token revoke <prefix>'],
  description:
    'create prints a new personal API token once, for automation (only its hash is stored); revoke revokes one by the prefix token lists show.',
  options: {
    email: { type: 'string', value: 'E', help: "the owner's email address" },
    name: { type: 'string', value: 'N', help: 'a name to recognise the token by' },
    scopes: {
      type: 'string',
      value: 'SCOPES',
      help: 'comma-separated, of links:read and links:write (read-only unless it names links:write)',
    },
    ...DOTENV_FLAG,
  },
  positionals: true,
});

export const INVITE = command({
  name: 'invite',
  summary: 'invite an address to create an account (in any registration mode)',
  usage: ['invite --email E'],
  description:
    'Invites an address, as staff can under ADMIN_PATH: an email with a single-use link that creates one account for it, valid for INVITATION_TTL, sent by the job queue (`hoplink worker` with Redis). A pending invitation to the same address is replaced.',
  options: {
    email: { type: 'string', value: 'E', help: 'the address to invite' },
    ...DOTENV_FLAG,
  },
  exitCodes: [
    [0, 'invited: the email is queued'],
    [1, 'refused (a malformed address, or one that has an account), or failed'],
    [2, 'usage error'],
  ],
});

export const DELETEUSER = command({
  name: 'deleteuser',
  summary: 'delete an account with its links, clicks, sessions and tokens',
  usage: ['deleteuser --email E [--yes]'],
  description:
    'Deletes an account as its owner can from the profile page: its links stop redirecting on every web process at once, their clicks, its sessions and tokens go, and an email tells the address. On a terminal it asks first; otherwise --yes is required.',
  options: {
    email: { type: 'string', value: 'E', help: 'email address of the account' },
    yes: { type: 'boolean', help: 'do not ask (needed when stdin is not a terminal)' },
    ...DOTENV_FLAG,
  },
});

export const RETENTION = command({
  name: 'retention',
  summary: 'delete clicks older than CLICK_RETENTION_DAYS now; --dry-run counts them',
  usage: ['retention [--dry-run]'],
  description:
    'Deletes visitor hashes and raw clicks older than CLICK_VISITOR_RETENTION_DAYS and CLICK_RETENTION_DAYS keep, as the hourly job does, in batches of a few thousand rows each committed on its own, printing its progress. Daily counts (totals, charts) stay. Interrupting it is safe; a new run goes on.',
  options: {
    'dry-run': { type: 'boolean', help: 'count what would be deleted; delete nothing' },
    ...DOTENV_FLAG,
  },
});

/** In the order `hoplink --help` lists them. */
export const COMMANDS = [
  SERVE,
  CHECK,
  WORKER,
  SEND_TEST_EMAIL,
  MIGRATE,
  SETTINGS,
  BUILD,
  CREATESUPERUSER,
  HEALTHCHECK,
  TOKEN,
  INVITE,
  DELETEUSER,
  RETENTION,
] as const;

export type CommandName = (typeof COMMANDS)[number]['name'];

const DEFAULT_EXIT_CODES = [
  [0, 'done'],
  [1, 'failed'],
  [EXIT_USAGE, 'usage error'],
] as const;

/** `hoplink --help`: one line per command. */
export function overviewHelp(): string {
  const lines = COMMANDS.map((spec) => `  ${spec.name.padEnd(18)}${spec.summary}`);
  return [
    'Usage: hoplink <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "hoplink <command> --help" for its flags; "hoplink --version" prints the version.',
    '',
  ].join('\n');
}

/** `hoplink <command> --help`: usage, what it does, flags and exit codes. */
export function commandHelp(spec: CommandSpec): string {
  const flags: [string, string][] = Object.entries(spec.options).map(([name, flag]) => {
    const short = flag.short === undefined ? '' : `-${flag.short}, `;
    const value = flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : '';
    const notes = [
      flag.setting === undefined ? '' : `; overrides ${flag.setting}`,
      flag.default === undefined ? '' : ` (default: ${String(flag.default)})`,
    ].join('');
    return [`${short}--${name}${value}`, `${flag.help}${notes}`];
  });
  flags.push(['-h, --help', 'print this help']);
  const width = Math.max(...flags.map(([left]) => left.length)) + 2;
  const codes = spec.exitCodes ?? DEFAULT_EXIT_CODES;
  return [
    ...spec.usage.map((usage, index) => `${index === 0 ? 'Usage:' : '      '} hoplink ${usage}`),
    '',
    ...wrap(spec.description, 78),
    '',
    'Options:',
    ...flags.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    '',
    'Exit codes:',
    ...codes.map(([code, meaning]) => `  ${String(code)}  ${meaning}`),
    '',
  ].join('\n');
}

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
