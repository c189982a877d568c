#!/usr/bin/env node
/** The one CLI: `hoplink <command>`. Dispatch only; each command lives in src/cli/. */

interface Command {
  readonly summary: string;
  readonly load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the web server', load: () => import('#src/cli/serve.ts') },
  check: {
    summary: 'validate the configuration (--deploy for the production audit)',
    load: () => import('#src/cli/check.ts'),
  },
  worker: {
    summary: 'process background jobs from Redis (--queues email,clicks,default, --concurrency N)',
    load: () => import('#src/cli/worker.ts'),
  },
  'send-test-email': {
    summary: 'send-test-email <to> sends one email through the configured transport',
    load: () => import('#src/cli/send-test-email.ts'),
  },
  migrate: {
    summary: 'apply pending database migrations; --check exits 1 when any is pending',
    load: () => import('#src/cli/migrate.ts'),
  },
  settings: {
    summary: 'print effective settings (secrets masked); --doc prints the reference',
    load: () => import('#src/cli/settings.ts'),
  },
  build: {
    summary: 'build the static assets into dist/static (or --out DIR); needs no settings',
    load: () => import('#src/cli/build.ts'),
  },
  createsuperuser: {
    summary: 'create a staff account (--email --username; password from stdin or a prompt)',
    load: () => import('#src/cli/createsuperuser.ts'),
  },
  healthcheck: {
    summary: 'container health check: the local /healthz, or --worker for the worker heartbeat',
    load: () => import('#src/cli/healthcheck.ts'),
  },
  token: {
    summary:
      'token create --email E --name N [--scopes …] prints an API token; token revoke <prefix>',
    load: () => import('#src/cli/token.ts'),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(18)}${command.summary}`,
  );
  return `Usage: hoplink <command> [options]\n\nCommands:\n${lines.join('\n')}\n`;
}

const [name, ...argv] = process.argv.slice(2);
const command = name === undefined ? undefined : COMMANDS[name];
if (name === undefined || name === '--help' || name === '-h') {
  process.stdout.write(usage());
} else if (!command) {
  process.stderr.write(`hoplink: unknown command "${name}"\n\n${usage()}`);
  process.exitCode = 2;
} else {
  const { run } = await command.load();
  process.exitCode = await run(argv);
}
