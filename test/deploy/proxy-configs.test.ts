// The reverse-proxy configurations and systemd units, checked by their own tools where those are
// installed (caddy, nginx, systemd-analyze: Debian packages caddy, nginx, systemd) and by
// reading them everywhere. Each reading check is a function returning problems, run on the real
// file and on a broken copy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, test } from 'node:test';
import { writeTlsFiles } from '#test/helpers/tls.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CADDYFILE = join(ROOT, 'deploy', 'Caddyfile');
const NGINX_CONF = join(ROOT, 'deploy', 'nginx.conf');
const UNITS = ['web', 'worker', 'migrate'] as const;
/** The hoplink command each unit runs. */
const COMMANDS: Readonly<Record<string, string>> = {
  web: 'serve',
  worker: 'worker',
  migrate: 'migrate',
};
const unitPath = (role: string) => join(ROOT, 'deploy', 'systemd', `hoplink-${role}.service`);

/** The absolute path of `name` on PATH (or the sbin directories Debian puts daemons in). */
function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  /** stdout and stderr together, for assertion messages. */
  readonly output: string;
}

function run(program: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const result = spawnSync(program, args, { env, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

function withTempDir<T>(prefix: string, body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const missing = (program: string, pkg: string) =>
  `${program} is not installed (apt-get install --no-install-recommends ${pkg})`;

// ---- Caddy ------------------------------------------------------------------------------------

const CADDY = findProgram('caddy');

/** Runs a caddy subcommand on `config` with its state kept in a throwaway home. */
function caddy(args: string[], config: string, domain: string | undefined): Run {
  return withTempDir('hoplink-caddy-', (home) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_DATA_HOME: join(home, 'data'),
      XDG_CONFIG_HOME: join(home, 'config'),
      ...(domain === undefined ? {} : { HOPLINK_DOMAIN: domain }),
    };
    return run(CADDY ?? 'caddy', [...args, '--adapter', 'caddyfile', '--config', config], env);
  });
}

/** Every handler object in an adapted Caddy JSON config, wherever it is nested. */
function handlers(node: unknown, name: string): Record<string, unknown>[] {
  if (Array.isArray(node)) return node.flatMap((item) => handlers(item, name));
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  const own = record.handler === name ? [record] : [];
  return [...own, ...Object.values(record).flatMap((value) => handlers(value, name))];
}

describe('deploy/Caddyfile', CADDY ? {} : { skip: missing('caddy', 'caddy') }, () => {
  test('caddy validates it', () => {
    const result = caddy(['validate'], CADDYFILE, 'hop.example.com');
    assert.equal(result.code, 0, result.output);
  });

  test('it proxies the domain to web:8000, caps bodies at 1 MiB and drops idle sockets first', () => {
    const result = caddy(['adapt'], CADDYFILE, 'hop.example.com');
    assert.equal(result.code, 0, result.output);
    const config: unknown = JSON.parse(result.stdout);
    const [proxy] = handlers(config, 'reverse_proxy');
    assert.ok(proxy, 'a reverse_proxy handler');
    assert.deepEqual(proxy.upstreams, [{ dial: 'web:8000' }]);
    const transport = proxy.transport as { keep_alive?: { idle_timeout?: number } } | undefined;
    const idleNs = transport?.keep_alive?.idle_timeout ?? Infinity;
    assert.ok(idleNs < 65e9, `upstream idle timeout ${String(idleNs)} ns is below Hoplink's 65 s`);
    assert.deepEqual(
      handlers(config, 'request_body').map((h) => h.max_size),
      [1024 * 1024],
    );
    assert.match(result.stdout, /"host":\["hop\.example\.com"\]/);
  });

  test('a broken copy, and a missing HOPLINK_DOMAIN, fail validation', () => {
    const unset = caddy(['validate'], CADDYFILE, undefined);
    assert.notEqual(unset.code, 0, 'without HOPLINK_DOMAIN the site block is not a site');
    withTempDir('hoplink-caddyfile-', (dir) => {
      const broken = join(dir, 'Caddyfile');
      const text = readFileSync(CADDYFILE, 'utf8');
      writeFileSync(broken, text.replace('reverse_proxy web:8000 {', 'reverse_proxi web:8000 {'));
      const result = caddy(['validate'], broken, 'hop.example.com');
      assert.notEqual(result.code, 0, result.output);
      assert.match(result.output, /reverse_proxi/);
    });
  });
});

// ---- nginx ------------------------------------------------------------------------------------

const NGINX = findProgram('nginx');

/** The configuration's directives without comments, one statement per entry. */
const nginxStatements = (conf: string): string[] =>
  conf
    .replace(/#[^\n]*/g, '')
    .split(/[;{}]/)
    .map((statement) => statement.replace(/\s+/g, ' ').trim())
    .filter(Boolean);

function nginxProblems(conf: string): string[] {
  const statements = nginxStatements(conf);
  const has = (statement: string) => statements.includes(statement);
  const problems: string[] = [];
  const expect = (statement: string, why: string) => {
    if (!has(statement)) problems.push(`missing "${statement}": ${why}`);
  };
  expect('ssl_protocols TLSv1.2 TLSv1.3', 'TLS 1.2 and 1.3 only');
  expect('server_tokens off', 'no version in responses');
  expect('client_max_body_size 1m', 'the same limit as SERVER_BODY_LIMIT');
  expect('proxy_http_version 1.1', 'upstream keepalive needs HTTP/1.1');
  expect('proxy_set_header Connection ""', 'upstream keepalive needs an empty Connection');
  expect('proxy_set_header Host $host', 'Hoplink checks the Host');
  expect('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for', 'the client address');
  expect('proxy_set_header X-Forwarded-Proto $scheme', 'Hoplink must know the request was HTTPS');
  expect('proxy_set_header X-Forwarded-Host $host', 'the public host');
  expect('return 301 https://$host$request_uri', 'plain HTTP goes to HTTPS');
  const ciphers = statements.find((s) => s.startsWith('ssl_ciphers '))?.split(' ')[1] ?? '';
  const weak = ciphers
    .split(':')
    .filter(
      (c) => !/^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/.test(c),
    );
  if (ciphers === '' || weak.length > 0)
    problems.push(`ciphers outside Mozilla's intermediate list: ${weak.join(':') || 'none set'}`);
  const upstream = nginxStatements(/upstream hoplink \{([^}]*)\}/.exec(conf)?.[1] ?? '');
  if (!upstream.some((s) => /^keepalive \d+$/.test(s))) problems.push('no upstream keepalive');
  const idle = upstream.find((s) => s.startsWith('keepalive_timeout ')) ?? 'keepalive_timeout 60s';
  const idleSeconds = Number(/ (\d+)s?$/.exec(idle)?.[1] ?? Infinity);
  if (!(idleSeconds < 65)) problems.push(`upstream ${idle} is not below Hoplink's 65 s`);
  return problems;
}

/** A free TCP port on loopback, for an unprivileged `nginx -t`, which binds its listeners. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  assert.ok(address && typeof address === 'object');
  return address.port;
}

/**
 * `nginx -t` on a copy of `conf` whose host-specific paths point into `dir`: the certificate
 * pair, the logs and the temp directories, the upstream (the `web` name exists only inside
 * Compose) and, when not root, the listen ports. Each substitution must match, so the copy
 * cannot silently drift from the file.
 */
async function nginxTest(conf: string, dir: string): Promise<Run> {
  const tls = await writeTlsFiles(dir);
  mkdirSync(join(dir, 'logs'));
  const substitutions: [RegExp, string][] = [
    [/\/etc\/nginx\/certs\/fullchain\.pem/g, tls.cert],
    [/\/etc\/nginx\/certs\/privkey\.pem/g, tls.key],
    [/\/var\/log\/nginx\//g, `${join(dir, 'logs')}/`],
    [/server web:8000;/g, 'server 127.0.0.1:8000;'],
    [
      /^http \{/m,
      ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
        .map((kind) => `${kind}_temp_path ${join(dir, kind)};`)
        .join(' ')
        .replace(/^/, 'http {\n    '),
    ],
  ];
  if (process.getuid?.() !== 0) {
    const [http, https] = [await freePort(), await freePort()];
    substitutions.push([/listen (\[::\]:)?80\b/g, `listen $1${String(http)}`]);
    substitutions.push([/listen (\[::\]:)?443\b/g, `listen $1${String(https)}`]);
  }
  let copy = conf;
  for (const [pattern, replacement] of substitutions) {
    assert.match(copy, pattern, `nginx.conf still contains ${String(pattern)}`);
    copy = copy.replace(pattern, replacement);
  }
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, copy);
  const pid = join(dir, 'nginx.pid');
  return run(NGINX ?? 'nginx', [
    '-t',
    '-p',
    `${dir}/`,
    '-c',
    file,
    '-e',
    join(dir, 'logs', 'error.log'),
    '-g',
    `pid ${pid};`,
  ]);
}

describe('deploy/nginx.conf', () => {
  const conf = readFileSync(NGINX_CONF, 'utf8');

  test('it has the TLS, proxy and keepalive settings Hoplink relies on', () => {
    assert.deepEqual(nginxProblems(conf), []);
  });

  test('weakened copies are caught', () => {
    const broken = conf
      .replace('ssl_protocols TLSv1.2 TLSv1.3;', 'ssl_protocols TLSv1 TLSv1.2 TLSv1.3;')
      .replace('ECDHE-RSA-AES128-GCM-SHA256:', 'ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:')
      .replace('proxy_set_header Connection "";', '')
      .replace('keepalive_timeout 60s;', 'keepalive_timeout 75s;');
    assert.deepEqual(nginxProblems(broken), [
      'missing "ssl_protocols TLSv1.2 TLSv1.3": TLS 1.2 and 1.3 only',
      'missing "proxy_set_header Connection """: upstream keepalive needs an empty Connection',
      "ciphers outside Mozilla's intermediate list: AES128-SHA",
      "upstream keepalive_timeout 75s is not below Hoplink's 65 s",
    ]);
  });

  describe('nginx -t', NGINX ? {} : { skip: missing('nginx', 'nginx') }, () => {
    test('accepts it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hoplink-nginx-'));
      try {
        const result = await nginxTest(conf, dir);
        assert.equal(result.code, 0, result.output);
        assert.match(result.output, /test is successful/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('rejects a broken copy', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hoplink-nginx-'));
      try {
        const broken = conf.replace(
          'ssl_protocols TLSv1.2 TLSv1.3;',
          'ssl_protocols TLSv1.2 TLSv1.4;',
        );
        const result = await nginxTest(broken, dir);
        assert.notEqual(result.code, 0, result.output);
        assert.match(result.output, /TLSv1\.4/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

// ---- systemd ----------------------------------------------------------------------------------

type Unit = Map<string, [string, string][]>;

/** Sections of a unit file as ordered key/value lists (keys may repeat). */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      section = unit.get(header[1]) ?? [];
      unit.set(header[1], section);
      continue;
    }
    const equals = line.indexOf('=');
    section.push([line.slice(0, equals), line.slice(equals + 1)]);
  }
  return unit;
}

const values = (unit: Unit, section: string, key: string): string[] =>
  (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
const last = (unit: Unit, section: string, key: string): string | undefined =>
  values(unit, section, key).at(-1);

/** systemd time spans: `35s`, `35`, `1min 5s`, `2m`. */
function spanSeconds(span: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600 };
  let total = 0;
  for (const [, amount = '0', unit = 's'] of span.matchAll(/(\d+)\s*(ms|sec|min|s|m|h)?/g)) {
    total += Number(amount) * (units[unit] ?? 1);
  }
  return total;
}

const SANDBOX: Readonly<Record<string, string>> = {
  NoNewPrivileges: 'yes',
  ProtectSystem: 'strict',
  ProtectHome: 'yes',
  PrivateTmp: 'yes',
  PrivateDevices: 'yes',
  ProtectKernelTunables: 'yes',
  ProtectKernelModules: 'yes',
  ProtectKernelLogs: 'yes',
  ProtectControlGroups: 'yes',
  RestrictNamespaces: 'yes',
  LockPersonality: 'yes',
  MemoryDenyWriteExecute: 'no',
  SystemCallFilter: '@system-service',
  CapabilityBoundingSet: '',
  RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
  StateDirectory: 'hoplink',
  User: 'hoplink',
  WorkingDirectory: '/opt/hoplink',
  KillSignal: 'SIGTERM',
};
const SECRET_SETTINGS = ['SECRET_KEY', 'DATABASE_URL', 'REDIS_URL', 'EMAIL_URL'];
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|_URL$|_KEY$/i;

function unitProblems(text: string, role: string): string[] {
  const unit = parseUnit(text);
  const problems: string[] = [];
  for (const [key, wanted] of Object.entries(SANDBOX)) {
    const actual = last(unit, 'Service', key);
    if (actual !== wanted) problems.push(`${key}=${String(actual)}, wanted ${key}=${wanted}`);
  }
  const exec = last(unit, 'Service', 'ExecStart') ?? '';
  const command = COMMANDS[role] ?? role;
  if (!new RegExp(`^\\S*node /opt/hoplink/dist/main\\.js ${command}\\b`).test(exec)) {
    problems.push(`ExecStart does not run main.js ${command}: ${exec}`);
  }
  for (const path of values(unit, 'Service', 'ReadWritePaths').flatMap((v) => v.split(/\s+/))) {
    if (!path.replace(/^-/, '').startsWith('/var/lib/hoplink'))
      problems.push(`writable path ${path}`);
  }
  const stop = spanSeconds(last(unit, 'Service', 'TimeoutStopSec') ?? '90s');
  if (stop <= 25) problems.push(`TimeoutStopSec ${String(stop)} s does not cover the 25 s drain`);
  const environment = values(unit, 'Service', 'Environment').flatMap((v) => v.split(/\s+/));
  const credentials = new Map(
    values(unit, 'Service', 'LoadCredential').map((v) => v.split(':') as [string, string]),
  );
  for (const assignment of environment) {
    const [name = '', value = ''] = assignment.replace(/^"|"$/g, '').split(/=(.*)/s);
    if (name.endsWith('_FILE')) {
      const credential = /^%d\/(.+)$/.exec(value)?.[1];
      if (!credential || !credentials.has(credential))
        problems.push(`${name} is not a loaded credential`);
    } else if (SECRET_NAME.test(name)) {
      problems.push(`${name} is set in the environment (use LoadCredential= and ${name}_FILE)`);
    }
  }
  for (const setting of SECRET_SETTINGS) {
    if (!environment.some((a) => a.startsWith(`${setting}_FILE=%d/`)))
      problems.push(`${setting}_FILE is not set`);
  }
  for (const [name, source] of credentials) {
    if (!source.startsWith('/etc/hoplink/secrets/'))
      problems.push(`credential ${name} comes from ${source}`);
  }
  if (/\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]+@/i.test(text))
    problems.push('a URL with a password');
  if (role === 'migrate') {
    if (last(unit, 'Service', 'Type') !== 'oneshot') problems.push('migrate is not Type=oneshot');
    if (last(unit, 'Service', 'RemainAfterExit') === 'yes')
      problems.push('migrate would run only once per boot');
  } else {
    if (last(unit, 'Service', 'Restart') !== 'on-failure')
      problems.push(`${role} does not restart on failure`);
    for (const key of ['Requires', 'After']) {
      if (!values(unit, 'Unit', key).join(' ').split(/\s+/).includes('hoplink-migrate.service')) {
        problems.push(`${role} lacks ${key}=hoplink-migrate.service`);
      }
    }
  }
  return problems;
}

describe('deploy/systemd units', () => {
  for (const role of UNITS) {
    test(`hoplink-${role}.service is sandboxed and gets its secrets as credentials`, () => {
      assert.deepEqual(unitProblems(readFileSync(unitPath(role), 'utf8'), role), []);
    });
  }

  test('a weakened copy is caught', () => {
    const broken = readFileSync(unitPath('web'), 'utf8')
      .replace('ProtectSystem=strict', 'ProtectSystem=full')
      .replace('TimeoutStopSec=35s', 'TimeoutStopSec=10s')
      .replace(
        'Environment=SECRET_KEY_FILE=%d/secret_key',
        'Environment=SECRET_KEY=0123456789abcdef',
      )
      .replace('Requires=hoplink-migrate.service', '')
      .replace('[Service]', '[Service]\nReadWritePaths=/opt/hoplink');
    assert.deepEqual(unitProblems(broken, 'web'), [
      'ProtectSystem=full, wanted ProtectSystem=strict',
      'writable path /opt/hoplink',
      'TimeoutStopSec 10 s does not cover the 25 s drain',
      'SECRET_KEY is set in the environment (use LoadCredential= and SECRET_KEY_FILE)',
      'SECRET_KEY_FILE is not set',
      'web lacks Requires=hoplink-migrate.service',
    ]);
  });

  const analyze = findProgram('systemd-analyze');
  describe(
    'systemd-analyze verify',
    analyze ? {} : { skip: missing('systemd-analyze', 'systemd') },
    () => {
      /**
       * Verifies copies of the three units together (web and worker require migrate). ExecStart's
       * /usr/bin/node becomes this test's node, since verify checks the program exists here.
       * systemd only warns about unknown or malformed settings, so any output is a failure.
       */
      function verify(edit: (text: string, role: string) => string): Run {
        return withTempDir('hoplink-units-', (dir) => {
          const files = UNITS.map((role) => {
            const file = join(dir, `hoplink-${role}.service`);
            const text = readFileSync(unitPath(role), 'utf8').replaceAll(
              '/usr/bin/node ',
              `${process.execPath} `,
            );
            writeFileSync(file, edit(text, role));
            return file;
          });
          return run(analyze ?? 'systemd-analyze', ['verify', '--man=no', ...files]);
        });
      }

      test('accepts the units', () => {
        const result = verify((text) => text);
        assert.equal(result.code, 0, result.output);
        assert.equal(result.output.trim(), '', result.output);
      });

      test('reports a misspelt or invalid setting', () => {
        const result = verify((text, role) =>
          role === 'web' ? text.replace('ProtectKernelLogs=yes', 'ProtectKernelLog=yes') : text,
        );
        assert.match(result.output, /Unknown key 'ProtectKernelLog'/);
      });
    },
  );
});
