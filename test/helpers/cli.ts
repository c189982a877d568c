import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { runCli } from '#src/cli/dispatch.ts';
import { hoplinkArgv } from './hoplink-command.ts';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** The whole environment of the run (a variable set to undefined is not set). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Piped to stdin, which is then not a terminal. */
  readonly input?: string;
  /** The working directory; a fresh empty one (no stray .env) unless given. */
  readonly cwd?: string;
}

/** Exit code and output, for assertion messages. */
export const showRun = (run: CliRun) =>
  `exit ${String(run.code)}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;

/** A command running in this process: what it has printed so far, and its result. */
export interface InProcessRun {
  readonly printed: () => { readonly stdout: string; readonly stderr: string };
  readonly result: Promise<CliRun>;
}

/**
 * Runs `hoplink <args>` in this process: runCli with an invocation of the run's own (decision
 * 0025), so a run costs what the command does rather than a second or two of start-up. Use it
 * unless the process itself is under test; then runHoplink.
 */
export function runInProcess(
  args: readonly string[],
  options: CliRunOptions = {},
): Promise<CliRun> {
  return startInProcess(args, options).result;
}

/** runInProcess for a test that watches the output while the command runs. */
export function startInProcess(args: readonly string[], options: CliRunOptions = {}): InProcessRun {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'hoplink-cli-'));
  const stdout = collector();
  const stderr = collector();
  const stdin = new PassThrough();
  stdin.end(options.input ?? '');
  const printed = () => ({ stdout: stdout.text(), stderr: stderr.text() });
  const result = (async () => {
    try {
      const code = await runCli(args, {
        env: options.env ?? {},
        cwd,
        stdin,
        stdout: stdout.stream,
        stderr: stderr.stream,
      });
      return { code, ...printed() };
    } finally {
      if (options.cwd === undefined) rmSync(cwd, { recursive: true, force: true });
    }
  })();
  return { printed, result };
}

function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * Runs `hoplink <args>` in a real process, with only PATH, HOME and `env`; for what only a
 * process shows (main.ts's exit code, signals, serve, worker). From an empty directory unless
 * `cwd` is given.
 */
export function runHoplink(
  args: readonly string[],
  options: CliRunOptions & { timeoutMs?: number } = {},
): Promise<CliRun> {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'hoplink-cli-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, hoplinkArgv(args), {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (options.cwd === undefined) rmSync(cwd, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
