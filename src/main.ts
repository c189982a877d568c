#!/usr/bin/env node
/** The one CLI: `hoplink <command>`. Dispatch only: src/cli/dispatch.ts, each command in src/cli/. */
import { runCli } from '#src/cli/dispatch.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
