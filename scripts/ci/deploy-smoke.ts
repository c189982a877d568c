/**
 * Deploys Hoplink the way an operator would, on this machine's PostgreSQL and Redis, and checks
 * that it serves:
 *
 *   tsx scripts/ci/deploy-smoke.ts readme       the README's production lines, run as written on
 *                                               a clean clone (runtime dependencies only)
 *   tsx scripts/ci/deploy-smoke.ts image TAG    the container image, run with podman: read-only
 *                                               root, a /data volume, secrets mounted as files
 *
 * Both then create a link through the API, follow it, wait for its click to reach the stats
 * (so the worker ran), and stop serve and worker with SIGTERM, which must drain and exit 0.
 * The settings are .env.production.example's; only what this machine differs in is overridden.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ADMIN_DATABASE_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The public host of .env.production.example; requests carry it as a proxy would. */
const PUBLIC_HOST = 'hop.example.com';
/** The account the README's createsuperuser line creates. */
const README_EMAIL = 'you@example.com';
const PASSWORD = `smoke-${randomBytes(12).toString('base64url')}`;
const PODMAN = (process.env.PODMAN ?? 'podman --runtime runc').split(' ');
/** Container user of the image (the official Node image's `node`). */
const IMAGE_UID = 1000;

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Service {
  readonly role: string;
  /** SIGTERM, then the exit code once it has drained. */
  readonly stop: () => Promise<number | null>;
  readonly output: () => Promise<string>;
}

interface Deployment {
  /** Runs one command to completion (migrate, check, createsuperuser, token …). */
  readonly oneShot: (args: readonly string[], input?: string) => Promise<Result>;
  /** Starts `serve` or `worker` and resolves once it says it is up. */
  readonly start: (role: 'serve' | 'worker') => Promise<Service>;
  readonly cleanup: () => Promise<void>;
}

function step(message: string): void {
  console.log(`\n--> ${message}`);
}

function fail(message: string): never {
  throw new Error(message);
}

function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; echo?: boolean } = {},
): Promise<Result> {
  return new Promise((done, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      done({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

function expectSuccess(what: string, result: Result): Result {
  if (result.code !== 0) {
    fail(`${what} exited ${String(result.code)}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(250);
  }
}

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        done(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}

/** A throwaway database on the machine's PostgreSQL, dropped by `drop`. */
async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hoplink_smoke_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** The secret files .env.production.example points at, with this machine's values. */
function writeSecrets(databaseUrl: string, owner?: number): string {
  const directory = mkdtempSync(join(tmpdir(), 'hoplink-smoke-secrets-'));
  const secrets = {
    hoplink_secret_key: randomBytes(48).toString('base64url'),
    hoplink_database_url: databaseUrl,
    hoplink_redis_url: REDIS_URL,
    // Nothing listens there: email jobs fail and retry, which is not what this run checks.
    hoplink_email_url: 'smtp://127.0.0.1:2525',
  };
  for (const [name, value] of Object.entries(secrets)) {
    const path = join(directory, name);
    writeFileSync(path, value, { mode: 0o600 });
    if (owner !== undefined) chownSync(path, owner, owner);
  }
  if (owner !== undefined) {
    chownSync(directory, owner, owner);
    chmodSync(directory, 0o700);
  }
  return directory;
}

/** What this machine differs in from .env.production.example. */
function machineOverrides(port: number): Record<string, string> {
  return {
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: String(port),
    // This script plays the TLS-terminating proxy, from loopback.
    TRUSTED_PROXIES: '127.0.0.1/32',
    WEB_CONCURRENCY: '2',
    QUEUE_PREFIX: `hoplink-smoke-${randomBytes(4).toString('hex')}`,
  };
}

// ---------------------------------------------------------------------------------------------
// The README's production lines on a clean clone

/** The shell lines of the README's `readme:production` block, comments stripped. */
export function readmeProductionLines(readme: string): string[] {
  const match = /<!-- readme:production -->\s*```sh\n([\s\S]*?)\n```/.exec(readme);
  if (!match?.[1]) fail('README.md has no readme:production block');
  return match[1]
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

async function readmeDeployment(databaseUrl: string, port: number): Promise<Deployment> {
  const clone = mkdtempSync(join(tmpdir(), 'hoplink-smoke-clone-'));
  expectSuccess('git clone', await run('git', ['clone', '--quiet', '--no-local', ROOT, clone]));
  const secrets = writeSecrets(databaseUrl);
  // A server's environment: nothing of this shell's, the secrets as files, then what the
  // README's own lines export (they run in one session on a real server).
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  const exported: Record<string, string> = {};
  const overrides = machineOverrides(port);
  const serverEnv = () => ({
    ...base,
    ...exported,
    SECRET_KEY_FILE: join(secrets, 'hoplink_secret_key'),
    DATABASE_URL_FILE: join(secrets, 'hoplink_database_url'),
    REDIS_URL_FILE: join(secrets, 'hoplink_redis_url'),
    EMAIL_URL_FILE: join(secrets, 'hoplink_email_url'),
    ...overrides,
  });
  const children: ChildProcess[] = [];
  const startLine = new Map<'serve' | 'worker', string>();

  for (const line of readmeProductionLines(readFileSync(join(ROOT, 'README.md'), 'utf8'))) {
    const exportMatch = /^export (\w+)=(\S+)$/.exec(line);
    if (exportMatch?.[1] && exportMatch[2]) {
      exported[exportMatch[1]] = exportMatch[2];
      continue;
    }
    const role = /\s(serve|worker)$/.exec(line)?.[1] as 'serve' | 'worker' | undefined;
    if (role) {
      startLine.set(role, line);
      continue;
    }
    step(`README: ${line}`);
    // The build phase gets no setting at all; from the first `node dist/main.js` on, the
    // server's environment. createsuperuser reads the password from stdin.
    const env = line.startsWith('npm ') ? base : serverEnv();
    expectSuccess(
      line,
      await run('sh', ['-euc', line], {
        cwd: clone,
        env,
        input: `${PASSWORD}\n`,
        echo: true,
      }),
    );
  }
  if (startLine.size !== 2) fail('the README block must start both serve and worker');

  return {
    oneShot: (args, input) =>
      run('node', ['dist/main.js', ...args], { cwd: clone, env: serverEnv(), input }),
    start: async (role) => {
      const line = startLine.get(role) ?? fail(`no README line starts ${role}`);
      step(`README: ${line} (in the background)`);
      const child = spawn('sh', ['-c', `exec ${line}`], {
        cwd: clone,
        env: serverEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const exited = new Promise<number | null>((done) => child.on('close', done));
      await waitForStart(role, () => Promise.resolve(output), exited);
      const service: Service = {
        role,
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
        output: () => Promise.resolve(output),
      };
      return service;
    },
    cleanup: async () => {
      // A failed run must not leave servers behind.
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(clone, { recursive: true, force: true });
      rmSync(secrets, { recursive: true, force: true });
      await Promise.resolve();
    },
  };
}

const STARTED = { serve: /Hoplink listening on/, worker: /worker processing/ };

async function waitForStart(
  role: 'serve' | 'worker',
  output: () => Promise<string>,
  exited: Promise<number | null>,
): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  await until(async () => {
    const text = await output();
    if (STARTED[role].test(text)) return true;
    if (gone !== undefined) fail(`${role} exited ${String(gone)} while starting:\n${text}`);
    return undefined;
  }, `${role} to start`);
}

// ---------------------------------------------------------------------------------------------
// The container image, with podman

function podman(args: readonly string[], input?: string): Promise<Result> {
  const [command = 'podman', ...options] = PODMAN;
  return run(command, [...options, ...args], { input });
}

async function imageDeployment(image: string, databaseUrl: string, port: number) {
  const secrets = writeSecrets(databaseUrl, IMAGE_UID);
  const suffix = randomBytes(3).toString('hex');
  const volume = `hoplink-smoke-data-${suffix}`;
  expectSuccess('podman volume create', await podman(['volume', 'create', volume]));
  const overrides = Object.entries(machineOverrides(port)).flatMap(([name, value]) => [
    '--env',
    `${name}=${value}`,
  ]);
  // As an operator runs it: host networking only because PostgreSQL and Redis are this
  // machine's; read-only root, a tmpfs /tmp, the data volume, secrets as files.
  const common = [
    // image.sh removes containers with this label that a killed run left behind.
    '--label=io.hoplink.ci=smoke',
    '--network=host',
    '--read-only',
    '--tmpfs=/tmp',
    `--volume=${volume}:/data`,
    `--volume=${secrets}:/run/secrets:ro`,
    `--env-file=${join(ROOT, '.env.production.example')}`,
    ...overrides,
  ];
  const names: string[] = [];
  const deployment: Deployment & { readonly names: string[] } = {
    names,
    oneShot: (args, input) =>
      podman(
        ['run', '--rm', ...(input ? ['--interactive'] : []), ...common, image, ...args],
        input,
      ),
    start: async (role) => {
      const name = `hoplink-smoke-${role}-${suffix}`;
      const health =
        role === 'worker'
          ? ['--health-cmd=node /app/dist/main.js healthcheck --worker', '--health-interval=10s']
          : [];
      step(`podman run -d ${image} ${role}`);
      expectSuccess(
        `podman run ${role}`,
        await podman(['run', '--detach', `--name=${name}`, ...health, ...common, image, role]),
      );
      names.push(name);
      const output = async () => {
        const logs = await podman(['logs', name]);
        return logs.stdout + logs.stderr;
      };
      const exited = (async () => {
        const waited = await podman(['wait', name]);
        return Number(waited.stdout.trim());
      })();
      await waitForStart(role, output, exited);
      // The image's HEALTHCHECK (serve) and the worker's, as the container runtime runs them.
      await until(async () => {
        const check = await podman(['healthcheck', 'run', name]);
        return check.code === 0 ? true : undefined;
      }, `podman healthcheck run ${role}`);
      console.log(`${role}: healthy`);
      return {
        role,
        stop: async () => {
          // Longer than SERVER_SHUTDOWN_TIMEOUT (25 s): a drain must finish on its own.
          expectSuccess(`podman stop ${role}`, await podman(['stop', '--time=40', name]));
          const state = await podman(['inspect', '--format={{.State.ExitCode}}', name]);
          return Number(state.stdout.trim());
        },
        output,
      };
    },
    cleanup: async () => {
      for (const name of names) {
        const removed = await podman(['rm', '--force', name]);
        if (removed.code !== 0) console.warn(`podman rm ${name}: ${removed.stderr.trim()}`);
      }
      await podman(['volume', 'rm', '--force', volume]);
      rmSync(secrets, { recursive: true, force: true });
    },
  };
  return deployment;
}

/** What the image must and must not hold, read from the image itself. */
async function inspectImage(image: string): Promise<void> {
  step('image: user, contents, size');
  const config = expectSuccess(
    'podman image inspect',
    await podman(['image', 'inspect', '--format=json', image]),
  );
  const [info] = JSON.parse(config.stdout) as {
    Size: number;
    /** Where podman reports the image's HEALTHCHECK (docker: Config.Healthcheck). */
    Healthcheck?: unknown;
    Config: { User?: string; Env?: string[]; Healthcheck?: unknown };
  }[];
  if (!info) fail(`no image ${image}`);
  if (!info.Config.User || ['root', '0'].includes(info.Config.User)) {
    fail(`the image runs as "${info.Config.User ?? ''}", not an unprivileged user`);
  }
  const env = info.Config.Env ?? [];
  const secretEnv = env.filter((entry) => /SECRET|PASSWORD|TOKEN|_URL=/.test(entry));
  if (secretEnv.length > 0)
    fail(`the image bakes in secret-looking settings: ${secretEnv.join(', ')}`);
  if (!info.Healthcheck && !info.Config.Healthcheck)
    fail('the image has no HEALTHCHECK (build with --format docker)');
  console.log(`image size: ${(info.Size / 1e6).toFixed(0)} MB; user ${info.Config.User}`);

  const shell = (script: string) =>
    podman([
      'run',
      '--rm',
      '--label=io.hoplink.ci=smoke',
      '--network=none',
      '--entrypoint=sh',
      image,
      '-c',
      script,
    ]);
  const uid = expectSuccess('id -u', await shell('id -u')).stdout.trim();
  if (uid === '0') fail('the container user is root');
  const app = expectSuccess('ls /app', await shell('ls -A /app'))
    .stdout.split('\n')
    .filter(Boolean);
  const expected = ['dist', 'node_modules', 'package.json'];
  if (app.join(',') !== expected.join(',')) {
    fail(`/app holds ${app.join(', ')}; expected only ${expected.join(', ')}`);
  }
  // No local configuration, development secret, history, tests or development dependencies.
  const strays = await shell(
    // (Dependencies ship their own tests and dotfiles: what matters is ours.)
    'find / -xdev \\( -path /app/node_modules -o -path /usr/local/lib/node_modules \\) -prune -o ' +
      '\\( -name .env -o -name .dev-secret -o -name .git -o -name "*.test.ts" \\) -print 2>/dev/null; ' +
      'for dev in typescript esbuild tsx pino-pretty eslint playwright-core; do ' +
      '[ -e /app/node_modules/$dev ] && echo node_modules/$dev; done; true',
  );
  if (strays.stdout.trim() !== '') fail(`the image holds what it must not:\n${strays.stdout}`);
  const writable = await shell('touch /app/x 2>/dev/null && echo writable || echo read-only');
  if (writable.stdout.trim() !== 'read-only') fail('the app user can write to /app');
}

// ---------------------------------------------------------------------------------------------
// What every deployment must do

interface Reply {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
}

/** node:http rather than fetch: fetch does not send a Host header of the caller's choosing. */
function request(
  port: number,
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {
    host: PUBLIC_HOST,
    'x-forwarded-proto': 'https',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36',
  };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((done, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          done({ status: res.statusCode ?? 0, location: res.headers.location, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function exercise(deployment: Deployment, port: number): Promise<void> {
  const serve = await deployment.start('serve');
  const worker = await deployment.start('worker');
  try {
    await use(deployment, port);
  } catch (error) {
    for (const service of [serve, worker]) {
      const lines = (await service.output()).trimEnd().split('\n').slice(-40);
      console.error(`--- last lines of ${service.role} ---\n${lines.join('\n')}`);
    }
    throw error;
  }

  step('SIGTERM: serve and worker drain and exit 0');
  for (const service of [serve, worker]) {
    const code = await service.stop();
    if (code !== 0) fail(`${service.role} exited ${String(code)}:\n${await service.output()}`);
    console.log(`${service.role} exited 0`);
  }
}

async function use(deployment: Deployment, port: number): Promise<void> {
  step('health and readiness');
  for (const path of ['/healthz', '/readyz']) {
    const response = await request(port, path);
    if (response.status !== 200) fail(`${path} answered ${response.status}: ${response.body}`);
  }

  step('a link through the API, followed, its click recorded by the worker');
  const token = expectSuccess(
    'token create',
    await deployment.oneShot([
      'token',
      'create',
      '--email',
      README_EMAIL,
      '--name',
      'smoke',
      '--scopes',
      'links:read,links:write',
    ]),
  ).stdout.trim();
  const target = `https://example.org/smoke/${randomBytes(4).toString('hex')}`;
  const created = await request(port, '/api/v1/links', {
    method: 'POST',
    token,
    body: { url: target },
  });
  if (created.status !== 201) fail(`POST /api/v1/links: ${created.status} ${created.body}`);
  const link = JSON.parse(created.body) as { id: string; code: string; shortUrl: string };
  if (!link.shortUrl.startsWith(`https://${PUBLIC_HOST}/`)) fail(`shortUrl ${link.shortUrl}`);
  const redirect = await request(port, `/${link.code}`);
  if (redirect.status !== 302 || redirect.location !== target) {
    fail(`GET /${link.code}: ${redirect.status} → ${String(redirect.location)}`);
  }
  const clicks = await until(async () => {
    const stats = await request(port, `/api/v1/links/${link.id}/stats`, { token });
    const body = JSON.parse(stats.body) as { clicks: number };
    return body.clicks >= 1 ? body.clicks : undefined;
  }, 'the click to be recorded');
  console.log(`redirect 302 to ${target}; ${clicks} click recorded`);
}

async function main(): Promise<number> {
  const [mode, image] = process.argv.slice(2);
  if (mode !== 'readme' && !(mode === 'image' && image)) {
    console.error('usage: deploy-smoke.ts readme | image TAG');
    return 2;
  }
  const database = await createDatabase();
  const port = await freePort();
  let deployment: Deployment | undefined;
  try {
    if (mode === 'readme') {
      deployment = await readmeDeployment(database.url, port);
    } else {
      const tag = image ?? fail('no image');
      await inspectImage(tag);
      const containers = await imageDeployment(tag, database.url, port);
      deployment = containers;
      for (const args of [['migrate'], ['check', '--deploy']]) {
        step(`podman run ${tag} ${args.join(' ')}`);
        expectSuccess(args.join(' '), await containers.oneShot(args));
      }
      step(`podman run ${tag} createsuperuser`);
      expectSuccess(
        'createsuperuser',
        await containers.oneShot(
          ['createsuperuser', '--email', README_EMAIL, '--username', 'you'],
          `${PASSWORD}\n`,
        ),
      );
    }
    await exercise(deployment, port);
    console.log(`\ndeploy smoke (${mode}): passed`);
    return 0;
  } finally {
    await deployment?.cleanup();
    await database.drop();
  }
}

process.exitCode = await main();
