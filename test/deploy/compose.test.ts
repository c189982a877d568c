// The Compose files' promises, checked on the parsed YAML: only the proxy publishes ports, no
// secret is written in them, one image is built once, every long-running service has a health
// check and a restart policy, and the start order holds. Each invariant is a function returning
// its problems, run on the real files (expecting none) and on broken copies (expecting the
// problem), so a check that could never fail would show.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseDocument } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asMapping = (value: unknown): Mapping => (isMapping(value) ? value : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** A YAML scalar as Compose reads it (`true` and `'true'` alike); structures as JSON. */
const scalar = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null || value === undefined ? '' : JSON.stringify(value);
};

/** Parses a Compose file as Compose does: YAML 1.1 merge keys (`<<:`) resolved. */
function loadCompose(file: string): Mapping {
  const doc = parseDocument(readFileSync(join(ROOT, file), 'utf8'), { merge: true });
  assert.deepEqual([...doc.errors, ...doc.warnings], [], `${file} parses without complaint`);
  const value: unknown = doc.toJS();
  assert.ok(isMapping(value), `${file} is a mapping`);
  return value;
}

/** What the shell or `.env` would give Compose for `${…}`. */
const ENV: Readonly<Record<string, string>> = { HOPLINK_DOMAIN: 'hop.example.com' };

/** Compose's variable interpolation (`${X}`, `${X:-default}`, `${X-default}`, `${X:?err}`, `$$`). */
function interpolate(value: unknown, env: Readonly<Record<string, string>> = ENV): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
      (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
        if (whole === '$$' || name === undefined) return '$';
        const set = env[name];
        const missing = op?.startsWith(':') ? !set : set === undefined;
        if (!missing) return set ?? '';
        if (op?.endsWith('?')) throw new Error(`${name}: ${arg ?? 'required'}`);
        return op ? (arg ?? '') : '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env));
  if (isMapping(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  }
  return value;
}

/** Where a service's volume or secret entry lands in the container. */
function volumeTarget(entry: unknown): string {
  if (typeof entry === 'string') return entry.split(':')[1] ?? entry;
  return asString(asMapping(entry).target) ?? '';
}

function secretTarget(entry: unknown): string {
  if (typeof entry === 'string') return `/run/secrets/${entry}`;
  const { source, target } = asMapping(entry);
  const name = asString(target) ?? asString(source) ?? '';
  return name.startsWith('/') ? name : `/run/secrets/${name}`;
}

const UNIQUE_KEY: Readonly<Record<string, (entry: unknown) => string>> = {
  volumes: volumeTarget,
  secrets: secretTarget,
  ports: (entry) => JSON.stringify(entry),
};

/**
 * The part of Compose's merge of `-f a.yaml -f b.yaml` these checks depend on: mappings merge,
 * sequences append, ports/volumes/secrets are unique by target, and command, entrypoint and a
 * health check's test are replaced whole.
 */
function mergeCompose(base: unknown, override: unknown, key?: string): unknown {
  if (override === undefined) return base;
  if (key === 'command' || key === 'entrypoint' || key === 'test') return override;
  if (isMapping(base) && isMapping(override)) {
    const merged: Mapping = { ...base };
    for (const [k, v] of Object.entries(override)) merged[k] = mergeCompose(base[k], v, k);
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(override)) {
    const before: unknown[] = base;
    const after: unknown[] = override;
    const unique = key === undefined ? undefined : UNIQUE_KEY[key];
    if (!unique) return [...before, ...after];
    const byKey = new Map(before.map((entry) => [unique(entry), entry]));
    for (const entry of after) byKey.set(unique(entry), entry);
    return [...byKey.values()];
  }
  return override;
}

function loadMerged(...files: string[]): Mapping {
  const [first, ...rest] = files.map(loadCompose);
  return asMapping(rest.reduce<unknown>((merged, next) => mergeCompose(merged, next), first));
}

const servicesOf = (compose: Mapping): [string, Mapping][] =>
  Object.entries(asMapping(compose.services)).map(([name, s]) => [name, asMapping(s)]);

/** The services `up` starts: those without profiles, or with one of `profiles` active. */
function activeServices(compose: Mapping, profiles: readonly string[] = []): [string, Mapping][] {
  return servicesOf(compose).filter(([, service]) => {
    const own = asArray(service.profiles);
    return own.length === 0 || own.some((p) => profiles.includes(String(p)));
  });
}

function service(compose: Mapping, name: string): Mapping {
  const found = asMapping(compose.services)[name];
  assert.ok(isMapping(found), `service ${name} exists`);
  return found;
}

/** A service's environment as name → value, from either Compose syntax. */
function environmentOf(svc: Mapping): Map<string, string> {
  const env = svc.environment;
  if (Array.isArray(env)) {
    return new Map(
      env.map((entry) => {
        const [name = '', ...value] = String(entry).split('=');
        return [name, value.join('=')];
      }),
    );
  }
  return new Map(Object.entries(asMapping(env)).map(([k, v]) => [k, scalar(v)]));
}

/** `35s`, `1m30s`, `500ms` → seconds. */
function seconds(duration: unknown): number {
  const text = String(duration);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let total = 0;
  for (const [, amount = '0', unit = 's'] of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)) {
    total += Number(amount) * (units[unit] ?? 1);
  }
  return total;
}

const commandText = (command: unknown): string =>
  Array.isArray(command) ? command.map(scalar).join(' ') : scalar(command);

// ---- the invariants ---------------------------------------------------------------------

/** Only `proxy` may publish ports or share the host's network. */
function publishingProblems(compose: Mapping, proxy: string, profiles: string[] = []): string[] {
  const problems: string[] = [];
  const active = activeServices(compose, profiles);
  for (const [name, svc] of active) {
    if (name !== proxy && asArray(svc.ports).length > 0) problems.push(`${name} publishes ports`);
    if (svc.network_mode === 'host') problems.push(`${name} uses the host's network`);
  }
  const proxyService = active.find(([name]) => name === proxy);
  if (!proxyService) problems.push(`${proxy} is not started`);
  else if (asArray(proxyService[1].ports).length === 0) problems.push(`${proxy} publishes nothing`);
  return problems;
}

// Names whose value is a secret; *_URL settings are secret unless known to be public.
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|_DSN$|_URL$/i;
const PUBLIC_SETTINGS = new Set(['SITE_URL']);
const URL_WITH_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]+@/i;
const PASSWORD_FLAG = /--(?:requirepass|password|pass)[\s=]+(?!["']?\$)/i;

/** Every string in the file with where it is, e.g. `.services.web.command[0]`. */
function* strings(node: unknown, path: string): Generator<[string, string]> {
  if (typeof node === 'string') {
    yield [path, node];
  } else if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* strings(item, `${path}[${String(i)}]`);
  } else if (isMapping(node)) {
    for (const [k, v] of Object.entries(node)) yield* strings(v, `${path}.${k}`);
  }
}

/** Secrets written into the file: secret-named variables with values, credentials in URLs. */
function secretLiteralProblems(compose: Mapping): string[] {
  const problems: string[] = [];
  for (const [name, svc] of servicesOf(compose)) {
    for (const [key, value] of environmentOf(svc)) {
      if (key.endsWith('_FILE')) {
        if (!value.startsWith('/run/secrets/')) {
          problems.push(`${name}: ${key} is not a mounted secret (${value})`);
        }
      } else if (SECRET_NAME.test(key) && !PUBLIC_SETTINGS.has(key) && value !== '') {
        problems.push(`${name}: ${key} has a literal value (use ${key}_FILE)`);
      }
    }
  }
  for (const [path, text] of strings(compose, '')) {
    if (URL_WITH_PASSWORD.test(text)) problems.push(`${path}: a URL with a password`);
  }
  for (const [name, svc] of servicesOf(compose)) {
    const lines = [svc.command, svc.entrypoint, asMapping(svc.healthcheck).test];
    if (lines.some((line) => PASSWORD_FLAG.test(commandText(line)))) {
      problems.push(`${name}: a password on a command line`);
    }
  }
  for (const [name, secret] of Object.entries(asMapping(compose.secrets))) {
    if ('content' in asMapping(secret)) problems.push(`secret ${name} is written inline`);
  }
  return problems;
}

/** Every secret is a file under ./secrets/, and every *_FILE variable points at a mounted one. */
function secretFileProblems(compose: Mapping): string[] {
  const problems: string[] = [];
  const declared = asMapping(compose.secrets);
  for (const [name, secret] of Object.entries(declared)) {
    const file = asString(asMapping(secret).file);
    if (!file?.startsWith('./secrets/'))
      problems.push(`secret ${name} is not a file under ./secrets/`);
  }
  for (const [name, svc] of servicesOf(compose)) {
    const mounted = new Set<string>();
    for (const entry of asArray(svc.secrets)) {
      const source = typeof entry === 'string' ? entry : asString(asMapping(entry).source);
      if (!source || !(source in declared))
        problems.push(`${name}: secret ${String(source)} is not declared`);
      mounted.add(secretTarget(entry));
    }
    for (const [key, value] of environmentOf(svc)) {
      if (key.endsWith('_FILE') && !mounted.has(value)) {
        problems.push(`${name}: ${key}=${value} is not mounted in this service`);
      }
    }
  }
  return problems;
}

/** One image for the Hoplink roles, built by exactly one of them; the others never pull it. */
function imageProblems(compose: Mapping, roles: readonly string[]): string[] {
  const problems: string[] = [];
  const images = new Set(
    roles.map((role) => asString(asMapping(asMapping(compose.services)[role]).image)),
  );
  if (images.size !== 1 || images.has(undefined)) {
    problems.push(`${roles.join(', ')} do not share one image: ${[...images].join(', ')}`);
  }
  const builders = roles.filter((role) => 'build' in asMapping(asMapping(compose.services)[role]));
  if (builders.length !== 1)
    problems.push(`the image is built by ${String(builders.length)} services`);
  for (const role of roles.filter((r) => !builders.includes(r))) {
    const policy = asMapping(asMapping(compose.services)[role]).pull_policy;
    if (policy !== 'never')
      problems.push(`${role} may pull the locally built image (pull_policy ${String(policy)})`);
  }
  return problems;
}

const RESTARTING = new Set(['always', 'unless-stopped', 'on-failure']);

/** Long-running services have a health check and restart; one-shots do not restart. */
function lifecycleProblems(
  compose: Mapping,
  oneShots: readonly string[],
  profiles: string[] = [],
): string[] {
  const problems: string[] = [];
  for (const [name, svc] of activeServices(compose, profiles)) {
    const restart = scalar(svc.restart ?? 'no');
    if (oneShots.includes(name)) {
      if (restart !== 'no') problems.push(`${name} is one-shot but restarts (${restart})`);
      continue;
    }
    const health = asMapping(svc.healthcheck);
    const testCommand = asArray(health.test).map(String);
    const disabled = health.disable === true || testCommand[0] === 'NONE';
    if (disabled || (testCommand.length === 0 && typeof health.test !== 'string')) {
      problems.push(`${name} has no health check`);
    }
    if (!RESTARTING.has(restart.split(':')[0] ?? ''))
      problems.push(`${name} does not restart (${restart})`);
  }
  return problems;
}

function dependencyProblems(
  compose: Mapping,
  name: string,
  wanted: Record<string, string>,
): string[] {
  const dependsOn = asMapping(service(compose, name).depends_on);
  return Object.entries(wanted).flatMap(([dependency, condition]) => {
    const actual = asMapping(dependsOn[dependency]).condition;
    return actual === condition
      ? []
      : [`${name} waits for ${dependency} with ${String(actual)}, not ${condition}`];
  });
}

/** BullMQ loses jobs to eviction and to a restart without an append-only file. */
function redisProblems(compose: Mapping): string[] {
  const command = commandText(service(compose, 'redis').command);
  return [
    ...(/--appendonly\s+yes\b/.test(command) ? [] : ['redis runs without --appendonly yes']),
    ...(/--maxmemory-policy\s+noeviction\b/.test(command) ? [] : ['redis may evict keys']),
  ];
}

/** `target` in `name` is a volume declared at the top level, not a host path. */
function namedVolumeProblems(compose: Mapping, name: string, target: string): string[] {
  const entry = asArray(service(compose, name).volumes).find((v) => volumeTarget(v) === target);
  if (entry === undefined) return [`${name} has no volume at ${target}`];
  const source =
    typeof entry === 'string' ? entry.split(':')[0] : asString(asMapping(entry).source);
  if (!source || /^[./~]/.test(source) || !(source in asMapping(compose.volumes))) {
    return [`${name}: ${target} is not a named volume (${String(source)})`];
  }
  return [];
}

/** `name` is reachable only on internal networks. */
function internalNetworkProblems(compose: Mapping, name: string): string[] {
  const networks = service(compose, name).networks;
  const names = Array.isArray(networks) ? networks.map(String) : Object.keys(asMapping(networks));
  if (names.length === 0) return [`${name} is on the default (non-internal) network`];
  return names
    .filter((network) => asMapping(asMapping(compose.networks)[network]).internal !== true)
    .map((network) => `${name} is on ${network}, which is not internal`);
}

/** Read-only root, /tmp in memory, /data a volume, no privileges; enough time to drain. */
function hardeningProblems(compose: Mapping, name: string): string[] {
  const svc = service(compose, name);
  const problems: string[] = [];
  if (svc.read_only !== true) problems.push(`${name} has a writable root filesystem`);
  const tmpfs = Array.isArray(svc.tmpfs) ? svc.tmpfs.map(String) : [String(svc.tmpfs)];
  if (!tmpfs.includes('/tmp')) problems.push(`${name} has no tmpfs at /tmp`);
  problems.push(...namedVolumeProblems(compose, name, '/data'));
  if (!asArray(svc.cap_drop).includes('ALL')) problems.push(`${name} keeps capabilities`);
  if (!asArray(svc.security_opt).includes('no-new-privileges:true')) {
    problems.push(`${name} may gain privileges`);
  }
  if (seconds(svc.stop_grace_period ?? '10s') <= 25) {
    problems.push(
      `${name} is killed before its 25 s drain ends (stop_grace_period ${String(svc.stop_grace_period)})`,
    );
  }
  return problems;
}

// ---- the files ----------------------------------------------------------------------------

const ROLES = ['migrate', 'web', 'worker'] as const;
const BACKING = { postgres: 'service_healthy', redis: 'service_healthy' };
const AFTER_MIGRATE = { migrate: 'service_completed_successfully', ...BACKING };

describe('compose.yaml', () => {
  const compose = loadCompose('compose.yaml');
  const resolved = asMapping(interpolate(compose));

  test('only caddy publishes ports', () => {
    assert.deepEqual(publishingProblems(compose, 'caddy'), []);
    assert.deepEqual(asArray(service(compose, 'caddy').ports), ['80:80', '443:443', '443:443/udp']);
  });

  test('no secret is written in the file', () => {
    assert.deepEqual(secretLiteralProblems(compose), []);
  });

  test('secrets come from files under ./secrets/ and land where the settings point', () => {
    assert.deepEqual(secretFileProblems(compose), []);
    const web = environmentOf(service(compose, 'web'));
    assert.equal(web.get('SECRET_KEY_FILE'), '/run/secrets/hoplink_secret_key');
    assert.equal(web.get('DATABASE_URL_FILE'), '/run/secrets/hoplink_database_url');
    assert.equal(web.get('REDIS_URL_FILE'), '/run/secrets/hoplink_redis_url');
    assert.equal(web.get('EMAIL_URL_FILE'), '/run/secrets/hoplink_email_url');
    assert.equal(
      environmentOf(service(compose, 'postgres')).get('POSTGRES_PASSWORD_FILE'),
      '/run/secrets/postgres_password',
    );
  });

  test('migrate, web and worker run one image, built once', () => {
    assert.deepEqual(imageProblems(compose, ROLES), []);
    assert.equal(service(compose, 'web').image, 'hoplink:${HOPLINK_TAG:-latest}');
    assert.equal(service(resolved, 'web').image, 'hoplink:latest');
    assert.equal(service(compose, 'migrate').build, '.');
    assert.deepEqual(service(compose, 'migrate').command, ['migrate']);
    assert.deepEqual(service(compose, 'web').command, ['serve']);
    assert.deepEqual(service(compose, 'worker').command, ['worker']);
  });

  test('long-running services have health checks and restart; migrate runs once', () => {
    assert.deepEqual(lifecycleProblems(compose, ['migrate']), []);
    assert.equal(service(compose, 'migrate').restart, 'no');
    assert.deepEqual(asMapping(service(compose, 'web').healthcheck).test, [
      'CMD',
      'node',
      '/app/dist/main.js',
      'healthcheck',
    ]);
    assert.deepEqual(asMapping(service(compose, 'worker').healthcheck).test, [
      'CMD',
      'node',
      '/app/dist/main.js',
      'healthcheck',
      '--worker',
    ]);
  });

  test('web and worker start after migrate succeeded and the backing services are healthy', () => {
    assert.deepEqual(dependencyProblems(compose, 'web', AFTER_MIGRATE), []);
    assert.deepEqual(dependencyProblems(compose, 'worker', AFTER_MIGRATE), []);
    assert.deepEqual(dependencyProblems(compose, 'migrate', { postgres: 'service_healthy' }), []);
  });

  test('redis keeps every job: append-only, no eviction', () => {
    assert.deepEqual(redisProblems(compose), []);
  });

  test('postgres and redis keep their data in named volumes on an internal network', () => {
    assert.deepEqual(namedVolumeProblems(compose, 'postgres', '/var/lib/postgresql/data'), []);
    assert.deepEqual(namedVolumeProblems(compose, 'redis', '/data'), []);
    assert.deepEqual(internalNetworkProblems(compose, 'postgres'), []);
    assert.deepEqual(internalNetworkProblems(compose, 'redis'), []);
  });

  test('web and worker run read-only, unprivileged, with time to drain', () => {
    assert.deepEqual(hardeningProblems(compose, 'web'), []);
    assert.deepEqual(hardeningProblems(compose, 'worker'), []);
    for (const [name, svc] of servicesOf(compose)) {
      assert.ok(
        asArray(svc.security_opt).includes('no-new-privileges:true'),
        `${name}: no-new-privileges`,
      );
      assert.ok(asArray(svc.cap_drop).includes('ALL'), `${name}: cap_drop ALL`);
      assert.notEqual(svc.privileged, true, `${name} is not privileged`);
    }
  });

  test('web trusts forwarded headers from the edge network only, and answers probes from it', () => {
    const edge = asMapping(asMapping(resolved.networks).edge);
    const subnet = asString(asMapping(asArray(asMapping(edge.ipam).config)[0]).subnet);
    assert.equal(subnet, '172.30.0.0/24');
    const web = environmentOf(service(resolved, 'web'));
    assert.equal(web.get('TRUST_PROXY_HEADERS'), 'true');
    assert.equal(web.get('TRUSTED_PROXIES'), subnet);
    assert.deepEqual(web.get('ALLOWED_HOSTS')?.split(','), ['hop.example.com', subnet]);
    assert.equal(web.get('SITE_URL'), 'https://hop.example.com');
    assert.deepEqual(service(compose, 'caddy').networks, ['edge']);
    assert.ok(!asArray(service(compose, 'caddy').networks).includes('backend'));
  });

  test('Compose refuses to run without HOPLINK_DOMAIN', () => {
    assert.throws(() => interpolate(compose, {}), /HOPLINK_DOMAIN/);
  });
});

describe('compose.nginx.yaml over compose.yaml', () => {
  const merged = loadMerged('compose.yaml', 'compose.nginx.yaml');

  test('nginx replaces caddy as the only service publishing ports', () => {
    assert.deepEqual(publishingProblems(merged, 'nginx'), []);
    assert.deepEqual(
      activeServices(merged)
        .map(([name]) => name)
        .sort(),
      ['migrate', 'nginx', 'postgres', 'redis', 'web', 'worker'],
    );
  });

  test('enabling the caddy profile as well would publish twice, and the check says so', () => {
    assert.deepEqual(publishingProblems(merged, 'nginx', ['caddy']), ['caddy publishes ports']);
  });

  test('nginx has a health check, restarts, sits on the edge network and reads its files read-only', () => {
    assert.deepEqual(lifecycleProblems(merged, ['migrate']), []);
    assert.deepEqual(secretLiteralProblems(merged), []);
    const nginx = service(merged, 'nginx');
    assert.deepEqual(nginx.networks, ['edge']);
    assert.deepEqual(asArray(nginx.volumes), [
      './deploy/nginx.conf:/etc/nginx/nginx.conf:ro',
      './secrets/tls:/etc/nginx/certs:ro',
    ]);
  });
});

describe('compose.dev.yaml over compose.yaml', () => {
  const merged = loadMerged('compose.yaml', 'compose.dev.yaml');

  test('still only caddy publishes ports, and nothing secret is added', () => {
    assert.deepEqual(publishingProblems(merged, 'caddy'), []);
    assert.deepEqual(secretLiteralProblems(merged), []);
    assert.deepEqual(secretFileProblems(merged), []);
    assert.deepEqual(lifecycleProblems(merged, ['migrate']), []);
  });

  test('web and worker run the source tree, relabelled for SELinux, in development mode', () => {
    for (const name of ['web', 'worker']) {
      const svc = service(merged, name);
      assert.ok(asArray(svc.volumes).includes('.:/app:ro,z'), `${name} mounts the source with :z`);
      assert.ok(
        asArray(svc.volumes).includes(`${name}-data:/data`),
        `${name} keeps its /data volume`,
      );
      assert.equal(environmentOf(svc).get('NODE_ENV'), 'development');
      assert.equal(environmentOf(svc).get('SECRET_KEY_FILE'), '/run/secrets/hoplink_secret_key');
      assert.equal(svc.read_only, true);
    }
    assert.deepEqual(service(merged, 'web').command, ['serve']);
    assert.equal(service(merged, 'migrate').build, '.', 'migrate still builds the image');
  });
});

describe('the invariants catch broken files', () => {
  const fresh = () => loadCompose('compose.yaml');

  test('a port published by web', () => {
    const compose = fresh();
    service(compose, 'web').ports = ['8000:8000'];
    assert.deepEqual(publishingProblems(compose, 'caddy'), ['web publishes ports']);
  });

  test('host networking', () => {
    const compose = fresh();
    service(compose, 'worker').network_mode = 'host';
    assert.deepEqual(publishingProblems(compose, 'caddy'), ["worker uses the host's network"]);
  });

  test('an override that forgets to retire caddy', () => {
    const merged = asMapping(
      mergeCompose(fresh(), {
        services: { nginx: { image: 'nginx:stable', ports: ['80:80', '443:443'] } },
      }),
    );
    assert.deepEqual(publishingProblems(merged, 'nginx'), ['caddy publishes ports']);
  });

  test('a literal secret key, a password in a URL, a password on a command line, an inline secret', () => {
    const compose = fresh();
    const web = service(compose, 'web');
    web.environment = {
      ...asMapping(web.environment),
      SECRET_KEY: 'x'.repeat(50),
      DATABASE_URL_FILE: '/etc/hoplink/database_url',
    };
    service(compose, 'worker').environment = ['REDIS_URL=redis://:hunter2@redis:6379/0'];
    service(compose, 'redis').command = ['redis-server', '--requirepass', 'hunter2'];
    asMapping(compose.secrets).secret_key = { content: 'not-so-secret' };
    const problems = secretLiteralProblems(compose);
    assert.ok(
      problems.includes('web: SECRET_KEY has a literal value (use SECRET_KEY_FILE)'),
      problems.join('\n'),
    );
    assert.ok(
      problems.includes(
        'web: DATABASE_URL_FILE is not a mounted secret (/etc/hoplink/database_url)',
      ),
    );
    assert.ok(problems.includes('worker: REDIS_URL has a literal value (use REDIS_URL_FILE)'));
    assert.ok(problems.includes('.services.worker.environment[0]: a URL with a password'));
    assert.ok(problems.includes('redis: a password on a command line'));
    assert.ok(problems.includes('secret secret_key is written inline'));
  });

  test('a secret from outside ./secrets/ and a *_FILE nothing mounts', () => {
    const compose = fresh();
    asMapping(compose.secrets).email_url = { environment: 'EMAIL_URL' };
    const worker = service(compose, 'worker');
    worker.secrets = asArray(worker.secrets).filter(
      (s) => secretTarget(s) !== '/run/secrets/hoplink_redis_url',
    );
    assert.deepEqual(secretFileProblems(compose), [
      'secret email_url is not a file under ./secrets/',
      'worker: REDIS_URL_FILE=/run/secrets/hoplink_redis_url is not mounted in this service',
    ]);
  });

  test('a second build, and a role that may pull the local image', () => {
    const compose = fresh();
    service(compose, 'web').build = '.';
    delete service(compose, 'worker').pull_policy;
    assert.deepEqual(imageProblems(compose, ROLES), [
      'the image is built by 2 services',
      'worker may pull the locally built image (pull_policy undefined)',
    ]);
    service(compose, 'worker').image = 'hoplink:other';
    assert.match(imageProblems(compose, ROLES)[0] ?? '', /do not share one image/);
  });

  test('a missing or disabled health check, a missing restart policy, a restarting one-shot', () => {
    const compose = fresh();
    delete service(compose, 'worker').healthcheck;
    service(compose, 'postgres').healthcheck = { test: ['NONE'] };
    delete service(compose, 'redis').restart;
    service(compose, 'migrate').restart = 'on-failure';
    assert.deepEqual(lifecycleProblems(compose, ['migrate']), [
      'migrate is one-shot but restarts (on-failure)',
      'worker has no health check',
      'postgres has no health check',
      'redis does not restart (no)',
    ]);
  });

  test('web that does not wait for migrate to succeed', () => {
    const compose = fresh();
    asMapping(service(compose, 'web').depends_on).migrate = { condition: 'service_started' };
    assert.deepEqual(dependencyProblems(compose, 'web', AFTER_MIGRATE), [
      'web waits for migrate with service_started, not service_completed_successfully',
    ]);
  });

  test('redis that may evict jobs or lose them on restart', () => {
    const compose = fresh();
    service(compose, 'redis').command = ['redis-server', '--maxmemory-policy', 'allkeys-lru'];
    assert.deepEqual(redisProblems(compose), [
      'redis runs without --appendonly yes',
      'redis may evict keys',
    ]);
  });

  test('a bind mount for data, a public network for the database', () => {
    const compose = fresh();
    service(compose, 'postgres').volumes = ['./pgdata:/var/lib/postgresql/data'];
    service(compose, 'redis').networks = ['backend', 'edge'];
    assert.deepEqual(namedVolumeProblems(compose, 'postgres', '/var/lib/postgresql/data'), [
      'postgres: /var/lib/postgresql/data is not a named volume (./pgdata)',
    ]);
    assert.deepEqual(internalNetworkProblems(compose, 'redis'), [
      'redis is on edge, which is not internal',
    ]);
  });

  test('a writable, privileged web killed before it drains', () => {
    const compose = fresh();
    const web = service(compose, 'web');
    web.read_only = false;
    web.cap_drop = [];
    web.stop_grace_period = '10s';
    assert.deepEqual(hardeningProblems(compose, 'web'), [
      'web has a writable root filesystem',
      'web keeps capabilities',
      'web is killed before its 25 s drain ends (stop_grace_period 10s)',
    ]);
  });
});
