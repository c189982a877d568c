import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { hoplinkArgv } from './hoplink-command.ts';
import { until } from './until.ts';

const running = new Set<WorkerProcess>();
process.on('exit', () => {
  for (const worker of running) worker.child.kill('SIGKILL');
});

/** `hoplink worker` in a real process; output collected, JSON log lines parsed on demand. */
export class WorkerProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    running.add(this);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        running.delete(this);
        resolve(code);
      }),
    );
  }
  lines(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  show(): string {
    return `--- worker stdout ---\n${this.stdout}\n--- worker stderr ---\n${this.stderr}`;
  }
}

/**
 * Spawns `hoplink worker` with exactly `env` (plus PATH and HOME) and waits for its startup line
 * naming `queues`.
 */
export async function startWorker(
  env: Readonly<Record<string, string>>,
  queues: readonly string[],
  concurrency = 2,
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    hoplinkArgv(['worker', '--queues', queues.join(','), '--concurrency', String(concurrency)]),
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const worker = new WorkerProcess(child);
  const started = `worker processing ${queues.join(', ')}`;
  await Promise.race([
    until(() => worker.stdout.includes(started), `the worker to start\n${worker.show()}`),
    worker.exited.then((code) => {
      throw new Error(`the worker exited (${String(code)}) while starting\n${worker.show()}`);
    }),
  ]);
  return worker;
}
