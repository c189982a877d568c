import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** initdb and pg_ctl: on PATH, or in Debian's versioned directory (the newest). */
function postgresBinDir(): string | null {
  const onPath = spawnSync('initdb', ['--version']);
  if (onPath.status === 0) return '';
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((name) => existsSync(join(base, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(base, versions[0], 'bin');
}

/** PostgreSQL refuses to run as root; as root, the server runs as the `postgres` account. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

/** Whether a private PostgreSQL can be started here (initdb found; a `postgres` user if root). */
export function postgresServerInstalled(): boolean {
  return postgresBinDir() !== null && (process.getuid?.() !== 0 || runAs() !== null);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

const running = new Set<PrivatePostgres>();
process.on('exit', () => {
  for (const server of running) server.stopNow();
});

/**
 * A PostgreSQL of the test's own, with password authentication (scram-sha-256): the shared
 * server trusts every local connection, so a wrong password would go unnoticed there.
 */
export class PrivatePostgres {
  /** The superuser `postgres`'s password. */
  readonly password = randomBytes(12).toString('hex');
  private readonly dir = mkdtempSync(join(tmpdir(), 'hoplink-postgres-'));

  private constructor(
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    if (bin === null) throw new Error('initdb is not installed');
    const server = new PrivatePostgres(await freePort(), bin);
    server.init();
    return server;
  }

  /** A URL for `database` as `user` (the superuser by default). */
  url(database = 'postgres', user = 'postgres', password = this.password): string {
    return `postgres://${user}:${password}@127.0.0.1:${String(this.port)}/${database}`;
  }

  private run(program: string, args: readonly string[]): void {
    const owner = runAs();
    const command = join(this.bin, program);
    const result = owner
      ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
      : spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`${program} failed (${String(result.status)}):\n${result.stderr}`);
    }
  }

  private init(): void {
    const owner = runAs();
    const passwordFile = join(this.dir, 'password');
    writeFileSync(passwordFile, `${this.password}\n`, { mode: 0o600 });
    if (owner) {
      chownSync(this.dir, owner.uid, owner.gid);
      chownSync(passwordFile, owner.uid, owner.gid);
    }
    this.run('initdb', [
      '-D',
      join(this.dir, 'data'),
      '-U',
      'postgres',
      '--auth=scram-sha-256',
      `--pwfile=${passwordFile}`,
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-o',
      `-p ${String(this.port)} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-w',
      '-l',
      join(this.dir, 'server.log'),
      'start',
    ]);
    running.add(this);
  }

  /** Stops the server at once (no checkpoint: the data is thrown away). */
  stopNow(): void {
    if (!running.delete(this)) return;
    try {
      this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', 'stop']);
    } catch {
      // already stopped
    }
  }

  destroy(): void {
    this.stopNow();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
