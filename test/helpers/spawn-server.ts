import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOPLINK_ENTRY, hoplinkArgv } from './hoplink-command.ts';
import { seedDatabase } from './pglite-template.ts';
import { builtAssets } from './static-assets.ts';

const STARTUP_LINE = /listening on (https?:\/\/[^\s)"]+)/;
// A bound on a slow host (CI runs several suites on two cores), not a speed requirement.
const DEFAULT_TIMEOUT_MS = 60_000;

export interface ServeOptions {
  /**
   * Added to a minimal environment (no NODE_ENV, a temp DATA_DIR, SERVER_PORT=0,
   * WEB_CONCURRENCY=1); undefined unsets.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Extra `serve` arguments, e.g. ['--workers', '2']. */
  readonly args?: readonly string[];
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A production environment that passes every start-up check, built assets included. Production
 * needs a real database: pass a throwaway one (test/helpers/database.ts), or any postgres:// URL
 * when `serve` is meant to refuse before connecting.
 */
export function productionEnv(databaseUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    SECRET_KEY: randomBytes(48).toString('base64url'),
    ALLOWED_HOSTS: 'localhost,127.0.0.1',
    SITE_URL: 'https://hop.example.com',
    DATABASE_URL: databaseUrl,
    // Redis as CI runs it; the SMTP server is never contacted by these tests.
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    // Each server's jobs (welcome emails, clicks) stay apart from every other's, so a worker a
    // test starts with the same environment takes only that server's jobs.
    QUEUE_PREFIX: `hoplink-test-serve-${randomBytes(4).toString('hex')}`,
    EMAIL_URL: 'smtp://127.0.0.1:2525',
    LOG_LEVEL: 'info',
    STATIC_ROOT: builtAssets().outDir,
  };
}

const running = new Set<ServeProcess>();
// A failed test must not leave servers behind: each one leads its own process group.
process.on('exit', () => {
  for (const server of running) server.kill();
});

/**
 * `hoplink serve` in a real process (primary and workers), run from a temporary directory so no
 * stray `.env` is read. Output is collected; every wait is bounded and fails with the output.
 */
export class ServeProcess {
  /** The URL from the startup line, once `ready()` resolved. */
  url = '';
  readonly dataDir: string;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly directory: string;
  private out = '';
  private err = '';
  private exit: Exit | undefined;
  private readonly watchers = new Set<() => void>();

  constructor(options: ServeOptions = {}) {
    this.directory = mkdtempSync(join(tmpdir(), 'hoplink-serve-'));
    this.dataDir = join(this.directory, 'data');
    const env: Record<string, string> = {};
    const given = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      DATA_DIR: this.dataDir,
      SERVER_PORT: '0',
      WEB_CONCURRENCY: '1', // production would default to one per CPU
      ...options.env,
    };
    for (const [name, value] of Object.entries(given)) if (value !== undefined) env[name] = value;
    // On the embedded database, start from the migrated template instead of an initdb.
    if (env.DATABASE_URL === undefined && env.NODE_ENV !== 'production') seedDatabase(this.dataDir);
    this.child = spawn(process.execPath, hoplinkArgv(['serve', ...(options.args ?? [])]), {
      cwd: this.directory,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.out += chunk;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.err += chunk;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        rmSync(this.directory, { recursive: true, force: true });
        this.notify();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** Waits for the startup line and returns its URL. */
  async ready(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const match = await this.waitForOutput(STARTUP_LINE, { timeoutMs });
    this.url = match[1]!;
    return this.url;
  }

  /** Waits until stdout, from offset `since`, matches `pattern`. */
  waitForOutput(
    pattern: RegExp,
    { since = 0, timeoutMs = DEFAULT_TIMEOUT_MS }: { since?: number; timeoutMs?: number } = {},
  ): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      const check = () => {
        const match = this.out.slice(since).match(pattern);
        if (match) {
          finish();
          resolve(match);
        } else if (this.exit) {
          finish();
          reject(
            new Error(
              `serve exited (${describe(this.exit)}) before printing ${String(pattern)}\n${this.output()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms\n${this.output()}`));
      }, timeoutMs);
      this.watchers.add(check);
      check();
    });
  }

  /** Waits for the exit; past the timeout, kills every process of the server and fails. */
  async waitForExit(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, timeoutMs);
    });
    const exit = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (exit) return exit;
    this.kill();
    throw new Error(`serve did not exit within ${timeoutMs} ms\n${this.output()}`);
  }

  /** Sends `signal` to the primary and waits for the whole server to exit. */
  stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Exit> {
    if (!this.exit) this.signal(signal);
    return this.waitForExit(timeoutMs);
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** The web workers' pids (children of the primary running Hoplink, not tsx's esbuild). */
  workerPids(): number[] {
    let listing: string;
    try {
      listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(this.pid)], {
        encoding: 'utf8',
      });
    } catch {
      return []; // ps exits 1 when there is no such process
    }
    return listing
      .split('\n')
      .filter((line) => line.includes(HOPLINK_ENTRY))
      .map((line) => Number.parseInt(line.trim(), 10));
  }

  /** SIGKILLs the primary and its workers (the process group). */
  kill(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  output(): string {
    return `--- stdout ---\n${this.out}\n--- stderr ---\n${this.err}`;
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }
}

/** Spawns `serve` without waiting (for runs expected to fail). */
export function spawnServe(options: ServeOptions = {}): ServeProcess {
  return new ServeProcess(options);
}

/** Spawns `serve` and waits for its startup line; `server.url` is then set. */
export async function startServer(options: ServeOptions = {}): Promise<ServeProcess> {
  const server = new ServeProcess(options);
  try {
    await server.ready();
  } catch (error) {
    server.kill();
    throw error;
  }
  return server;
}

function describe(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
}
