import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './until.ts';

/** Debian's `prometheus` package: the server and promtool. */
export const PROMETHEUS_PATH = '/usr/bin/prometheus';
export const PROMTOOL_PATH = '/usr/bin/promtool';

/** Options for a `describe` that needs a real Prometheus: skipped, saying why, without one. */
export const PROMETHEUS: { skip?: string; timeout: number } = existsSync(PROMETHEUS_PATH)
  ? { timeout: 180_000 }
  : {
      skip: `Prometheus is not installed at ${PROMETHEUS_PATH} (apt-get install prometheus)`,
      timeout: 0,
    };

/** `promtool <args>` with `input` on stdin: exit code and everything it printed. */
export function promtool(
  args: readonly string[],
  input?: string,
): { code: number | null; output: string } {
  const run = spawnSync(PROMTOOL_PATH, args, { input, encoding: 'utf8' });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A TCP port free at the time of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

interface QueryResult {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** A Prometheus server of the test's own: its config, storage and port, removed on stop. */
export class PrometheusServer {
  private output = '';

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly directory: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
  }

  /** Starts it on a free port with `config` (YAML; `files` are written beside it first). */
  static async start(
    config: (directory: string) => string,
    files: Readonly<Record<string, string>> = {},
  ): Promise<PrometheusServer> {
    const directory = mkdtempSync(join(tmpdir(), 'hoplink-prometheus-'));
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(directory, name), content, { mode: 0o600 });
    }
    const configFile = join(directory, 'prometheus.yml');
    writeFileSync(configFile, config(directory));
    const port = await freePort();
    const child = spawn(
      PROMETHEUS_PATH,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(directory, 'data')}`,
        `--web.listen-address=127.0.0.1:${String(port)}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(`http://127.0.0.1:${String(port)}`, child, directory);
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited\n${server.output}`);
      try {
        return (await fetch(`${server.url}/-/ready`)).ok;
      } catch {
        return false;
      }
    }, `Prometheus to be ready\n${server.output}`);
    return server;
  }

  /** An instant query through the HTTP API (`/api/v1/query`). */
  async query(expression: string): Promise<QueryResult[]> {
    const response = await fetch(
      `${this.url}/api/v1/query?query=${encodeURIComponent(expression)}`,
    );
    const body = (await response.json()) as {
      status: string;
      data?: { result: QueryResult[] };
      error?: string;
    };
    if (body.status !== 'success') throw new Error(`query ${expression}: ${String(body.error)}`);
    return body.data?.result ?? [];
  }

  /** The one value of a query that yields one series, or undefined while it yields none. */
  async value(expression: string): Promise<number | undefined> {
    const [first] = await this.query(expression);
    return first === undefined ? undefined : Number(first.value[1]);
  }

  /** What the server printed, for assertion messages. */
  log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}
