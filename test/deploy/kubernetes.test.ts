import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { Job, type IJob } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy, type IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  Service,
  ServiceAccount,
  type IConfigMap,
  type IContainer,
  type IPodTemplateSpec,
  type IService,
  type IServiceAccount,
} from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

const BASE = fileURLToPath(new URL('../../deploy/kubernetes/base/', import.meta.url));
const SHUTDOWN_TIMEOUT_SECONDS = 25; // SERVER_SHUTDOWN_TIMEOUT's default
const SECRETS_DIR = '/run/secrets';
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|EMAIL_URL/;

interface Manifest {
  readonly file: string;
  readonly object: Record<string, unknown>;
}

function readYaml(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(BASE + file, 'utf8'));
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
  }
  return documents.map((document) => document.toJS() as unknown);
}

function loadManifests(): { resources: string[]; images: unknown; manifests: Manifest[] } {
  const [kustomization] = readYaml('kustomization.yaml') as [
    { resources?: string[]; images?: unknown },
  ];
  const resources = kustomization.resources ?? [];
  const manifests = resources.map((file) => {
    const objects = readYaml(file);
    assert.equal(objects.length, 1, `${file} holds one object`);
    return { file, object: objects[0] as Record<string, unknown> };
  });
  return { resources, images: kustomization.images, manifests };
}

/** Problems with kustomization.yaml's resources against the files beside it. */
function listingProblems(files: readonly string[], resources: readonly string[]): string[] {
  const manifests = files.filter((file) => file !== 'kustomization.yaml');
  return [
    ...manifests
      .filter((file) => !resources.includes(file))
      .map((file) => `${file} is not listed in kustomization.yaml`),
    ...resources
      .filter((file) => !manifests.includes(file))
      .map((file) => `${file} is listed in kustomization.yaml but does not exist`),
    ...resources
      .filter((file, index) => resources.indexOf(file) !== index)
      .map((file) => `${file} is listed twice`),
  ];
}

// --- Schema validation ---------------------------------------------------------------------------

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: never): { validate(): void };
}

const MODELS: readonly ModelClass[] = [
  ConfigMap,
  Deployment,
  Ingress,
  Job,
  NetworkPolicy,
  PodDisruptionBudget,
  Service,
  ServiceAccount,
];

interface Reads {
  readonly keys: Set<string>;
  enumerated: boolean;
}

/**
 * kubernetes-models validates types and required fields but ignores unknown ones, and ships its
 * schemas only as compiled validators. Those validators read every property their schema
 * declares, and enumerate the keys of maps (labels, data, resources). Watching what they read
 * therefore tells which keys the schema knows: any other key of an object whose properties were
 * read is not a field of the schema, the way `kubectl apply --validate=strict` rejects it.
 */
function watchReads(value: unknown, reads: Map<object, Reads>): unknown {
  if (value === null || typeof value !== 'object') return value;
  let record = reads.get(value);
  if (!record) {
    record = { keys: new Set(), enumerated: false };
    reads.set(value, record);
  }
  const seen = record;
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'string') seen.keys.add(key);
      return watchReads(Reflect.get(target, key, receiver), reads);
    },
    has(target, key) {
      if (typeof key === 'string') seen.keys.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      seen.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

function unknownFields(value: unknown, reads: Map<object, Reads>, path: string): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => unknownFields(item, reads, `${path}/${index}`));
  }
  const record = reads.get(value);
  // Never read: a free-form object the schema does not describe.
  if (!record || (record.keys.size === 0 && !record.enumerated)) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    record.enumerated || record.keys.has(key)
      ? unknownFields(child, reads, `${path}/${key}`)
      : [`data${path}/${key} is not a field of the schema`],
  );
}

/** Everything the Kubernetes API would reject in `object` on schema grounds. */
function schemaProblems(object: Record<string, unknown>): string[] {
  const model = MODELS.find(
    (candidate) => candidate.apiVersion === object.apiVersion && candidate.kind === object.kind,
  );
  if (!model) return [`no schema for ${String(object.apiVersion)} ${String(object.kind)}`];
  // The model deep-copies `object`, so the copy is what gets watched and walked.
  const instance = new model(object as never);
  const reads = new Map<object, Reads>();
  const problems: string[] = [];
  try {
    instance.validate.call(watchReads(instance, reads));
  } catch (error) {
    problems.push((error as Error).message);
  }
  return [...problems, ...unknownFields(instance, reads, '')];
}

// --- Invariants ----------------------------------------------------------------------------------

interface Workload {
  readonly name: string;
  readonly template: IPodTemplateSpec;
}

interface Kit {
  readonly objects: readonly Record<string, unknown>[];
  readonly images: unknown;
  readonly web: IDeployment;
  readonly worker: IDeployment;
  readonly migrate: IJob;
  readonly service: IService;
  readonly ingress: IIngress;
  readonly pdb: IPodDisruptionBudget;
  readonly configMap: IConfigMap;
  readonly serviceAccount: IServiceAccount;
}

function kit(objects: Record<string, unknown>[], images: unknown): Kit {
  const find = (kind: string, name: string): unknown => {
    const found = objects.find(
      (object) =>
        object.kind === kind && (object.metadata as { name?: string } | undefined)?.name === name,
    );
    assert.ok(found, `the base has a ${kind} named ${name}`);
    return found;
  };
  return {
    objects,
    images,
    web: find('Deployment', 'hoplink-web') as IDeployment,
    worker: find('Deployment', 'hoplink-worker') as IDeployment,
    migrate: find('Job', 'hoplink-migrate') as IJob,
    service: find('Service', 'hoplink-web') as IService,
    ingress: find('Ingress', 'hoplink') as IIngress,
    pdb: find('PodDisruptionBudget', 'hoplink-web') as IPodDisruptionBudget,
    configMap: find('ConfigMap', 'hoplink-config') as IConfigMap,
    serviceAccount: find('ServiceAccount', 'hoplink') as IServiceAccount,
  };
}

function workloads(k: Kit): Workload[] {
  const all = [
    { name: 'hoplink-web', template: k.web.spec?.template },
    { name: 'hoplink-worker', template: k.worker.spec?.template },
    { name: 'hoplink-migrate', template: k.migrate.spec?.template },
  ];
  return all.flatMap(({ name, template }) => (template ? [{ name, template }] : []));
}

function containersOf(template: IPodTemplateSpec): IContainer[] {
  return [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])];
}

function mainContainer(deployment: IDeployment): IContainer | undefined {
  return deployment.spec?.template.spec?.containers[0];
}

function securityProblems(k: Kit): string[] {
  const problems: string[] = [];
  for (const { name, template } of workloads(k)) {
    const pod = template.spec?.securityContext ?? {};
    if (template.spec?.automountServiceAccountToken !== false) {
      problems.push(`${name} mounts a service account token`);
    }
    for (const container of containersOf(template)) {
      const own = container.securityContext ?? {};
      const where = `${name}/${container.name}`;
      const runAsUser = own.runAsUser ?? pod.runAsUser;
      if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true || !runAsUser) {
        problems.push(`${where} may run as root (runAsNonRoot, runAsUser)`);
      }
      if (own.readOnlyRootFilesystem !== true) {
        problems.push(`${where} has a writable root filesystem`);
      }
      if (own.allowPrivilegeEscalation !== false || own.privileged === true) {
        problems.push(`${where} allows privilege escalation`);
      }
      if (!own.capabilities?.drop?.includes('ALL') || (own.capabilities.add ?? []).length > 0) {
        problems.push(`${where} keeps capabilities (drop ALL, add none)`);
      }
      if ((own.seccompProfile ?? pod.seccompProfile)?.type !== 'RuntimeDefault') {
        problems.push(`${where} has no RuntimeDefault seccomp profile`);
      }
    }
  }
  if (k.serviceAccount.automountServiceAccountToken !== false) {
    problems.push('the service account hands out API tokens');
  }
  return problems;
}

function probeProblems(k: Kit): string[] {
  const problems: string[] = [];
  const web = mainContainer(k.web);
  if (web?.livenessProbe?.httpGet?.path !== '/healthz') {
    problems.push('web has no liveness probe on /healthz');
  }
  if (web?.readinessProbe?.httpGet?.path !== '/readyz') {
    problems.push('web has no readiness probe on /readyz');
  }
  if (!mainContainer(k.worker)?.livenessProbe) problems.push('worker has no liveness probe');
  return problems;
}

function resourceProblems(k: Kit): string[] {
  return workloads(k).flatMap(({ name, template }) =>
    containersOf(template).flatMap((container) =>
      ['requests', 'limits'].flatMap((kind) => {
        const amounts = container.resources?.[kind as 'requests' | 'limits'] ?? {};
        return amounts.cpu && amounts.memory
          ? []
          : [`${name}/${container.name} has no cpu and memory ${kind}`];
      }),
    ),
  );
}

function imageProblems(k: Kit): string[] {
  const images = new Set(
    workloads(k).flatMap(({ template }) => containersOf(template).map((c) => c.image ?? '(none)')),
  );
  const problems =
    images.size === 1 ? [] : [`workloads run different images: ${[...images].join(', ')}`];
  const [image = ''] = images;
  const name = image.replace(/[:@].*$/, '');
  const overridable =
    Array.isArray(k.images) &&
    k.images.some((entry) => (entry as { name?: unknown }).name === name);
  if (!overridable) problems.push(`kustomization.yaml has no images entry for ${name}`);
  return problems;
}

/** The files `container` sees under /run/secrets, from the pod's projected Secret volume. */
function mountedSecrets(template: IPodTemplateSpec, container: IContainer): string[] {
  const mount = container.volumeMounts?.find((m) => m.mountPath === SECRETS_DIR);
  const volume = template.spec?.volumes?.find((v) => v.name === mount?.name);
  return (volume?.projected?.sources ?? []).flatMap((source) =>
    (source.secret?.items ?? []).map((item) => posix.join(SECRETS_DIR, item.path)),
  );
}

function secretProblems(k: Kit): string[] {
  const problems: string[] = [];
  for (const object of k.objects) {
    if (object.kind === 'Secret') problems.push('the base holds a Secret object');
  }
  const configData = k.configMap.data ?? {};
  for (const { name, template } of workloads(k)) {
    for (const volume of template.spec?.volumes ?? []) {
      const mode = volume.projected?.defaultMode ?? volume.secret?.defaultMode;
      if (mode !== undefined && (mode & 0o007) !== 0) {
        problems.push(`${name} volume ${volume.name} is readable by other users`);
      }
    }
    for (const container of containersOf(template)) {
      const where = `${name}/${container.name}`;
      const env = new Map<string, string | undefined>();
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef?.name !== k.configMap.metadata?.name) {
          problems.push(`${where} takes its environment from something other than the ConfigMap`);
          continue;
        }
        for (const [key, value] of Object.entries(configData)) env.set(key, value);
      }
      for (const variable of container.env ?? []) env.set(variable.name, variable.value);
      const mounted = mountedSecrets(template, container);
      for (const [key, value] of env) {
        if (key.endsWith('_FILE')) {
          if (!value?.startsWith(`${SECRETS_DIR}/`)) {
            problems.push(`${where}: ${key} points outside ${SECRETS_DIR}`);
          } else if (!mounted.includes(value)) {
            problems.push(`${where}: ${key} names ${value}, which no secret volume provides`);
          }
        } else if (SECRET_NAME.test(key)) {
          problems.push(`${where}: ${key} carries a secret in the environment; use ${key}_FILE`);
        }
      }
    }
  }
  return problems;
}

function preStopSeconds(container: IContainer | undefined): number {
  const [command, seconds] = container?.lifecycle?.preStop?.exec?.command ?? [];
  return command === 'sleep' ? Number(seconds) : 0;
}

function shutdownProblems(k: Kit): string[] {
  return [k.web, k.worker].flatMap((deployment) => {
    const grace = deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
    const needed = SHUTDOWN_TIMEOUT_SECONDS + preStopSeconds(mainContainer(deployment));
    return grace > needed
      ? []
      : [`${deployment.metadata?.name}: terminationGracePeriodSeconds ${grace} <= ${needed}`];
  });
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

function routingProblems(k: Kit): string[] {
  const problems: string[] = [];
  const webLabels = k.web.spec?.template.metadata?.labels ?? {};
  const workerLabels = k.worker.spec?.template.metadata?.labels ?? {};
  for (const [what, selector] of [
    ['the Service', k.service.spec?.selector],
    ['the PodDisruptionBudget', k.pdb.spec?.selector?.matchLabels],
  ] as const) {
    if (!selects(selector, webLabels) || selects(selector, workerLabels)) {
      problems.push(`${what} does not select the web pods alone`);
    }
  }
  const webPorts = mainContainer(k.web)?.ports ?? [];
  for (const port of k.service.spec?.ports ?? []) {
    const target = port.targetPort ?? port.port;
    if (!webPorts.some((p) => p.name === target || p.containerPort === target)) {
      problems.push(`the Service port ${port.name} targets ${target}, which web does not expose`);
    }
  }
  const backends = (k.ingress.spec?.rules ?? []).flatMap((rule) =>
    (rule.http?.paths ?? []).map((path) => path.backend.service),
  );
  if (backends.length === 0) problems.push('the Ingress has no backend');
  for (const backend of backends) {
    const port = k.service.spec?.ports?.find(
      (p) => p.name === backend?.port?.name || p.port === backend?.port?.number,
    );
    if (backend?.name !== k.service.metadata?.name || !port) {
      problems.push(
        `the Ingress routes to ${backend?.name}:${backend?.port?.name ?? backend?.port?.number}`,
      );
    }
  }
  return problems;
}

function invariantProblems(k: Kit): string[] {
  return [
    ...securityProblems(k),
    ...probeProblems(k),
    ...resourceProblems(k),
    ...imageProblems(k),
    ...secretProblems(k),
    ...shutdownProblems(k),
    ...routingProblems(k),
  ];
}

// --- Tests ---------------------------------------------------------------------------------------

const base = loadManifests();

describe('the Kubernetes base', () => {
  test('kustomization.yaml lists every manifest in base/, and nothing else', () => {
    assert.deepEqual(listingProblems(readdirSync(BASE), base.resources), []);
  });

  test('the listing check notices a stray file, a missing one and a duplicate', () => {
    const problems = listingProblems(
      ['kustomization.yaml', 'a.yaml', 'stray.yaml'],
      ['a.yaml', 'gone.yaml', 'a.yaml'],
    );
    assert.deepEqual(problems, [
      'stray.yaml is not listed in kustomization.yaml',
      'gone.yaml is listed in kustomization.yaml but does not exist',
      'a.yaml is listed twice',
    ]);
  });

  for (const { file, object } of base.manifests) {
    test(`${file} validates against the Kubernetes schema`, () => {
      assert.deepEqual(schemaProblems(object), []);
    });
  }

  test('keeps the invariants: non-root, probes, resources, one image, file secrets, routing', () => {
    assert.deepEqual(
      invariantProblems(
        kit(
          base.manifests.map((m) => m.object),
          base.images,
        ),
      ),
      [],
    );
  });
});

describe('the schema check', () => {
  const web = base.manifests.find((m) => m.file === 'web-deployment.yaml')!.object;
  const broken = (change: (deployment: IDeployment) => void) => {
    const copy = structuredClone(web) as unknown as IDeployment;
    change(copy);
    return schemaProblems(copy as unknown as Record<string, unknown>);
  };

  test('rejects a misspelled field', () => {
    const problems = broken((deployment) => {
      Object.assign(deployment.spec!.template.spec!.containers[0]!, {
        imagePullPolicyy: 'Always',
      });
    });
    assert.deepEqual(problems, [
      'data/spec/template/spec/containers/0/imagePullPolicyy is not a field of the schema',
    ]);
  });

  test('rejects a misspelled field at the top and in the pod security context', () => {
    const problems = broken((deployment) => {
      Object.assign(deployment, { specs: {} });
      Object.assign(deployment.spec!.template.spec!.securityContext!, { runAsNonroot: true });
    });
    assert.deepEqual(problems.sort(), [
      'data/spec/template/spec/securityContext/runAsNonroot is not a field of the schema',
      'data/specs is not a field of the schema',
    ]);
  });

  test('rejects a wrong type', () => {
    const problems = broken((deployment) => {
      Object.assign(deployment.spec!, { replicas: '2' });
    });
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /\/spec\/replicas must be integer/);
  });

  test('rejects a missing required field', () => {
    const problems = broken((deployment) => {
      Reflect.deleteProperty(deployment.spec!.template.spec!, 'containers');
    });
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /\/spec\/template\/spec must have required property '?containers'?/);
  });

  test('accepts maps of free keys (labels, ConfigMap data, resources)', () => {
    const problems = broken((deployment) => {
      deployment.spec!.template.metadata!.labels!['example.com/team'] = 'links';
      deployment.spec!.template.spec!.containers[0]!.resources!.limits!['ephemeral-storage'] =
        '1Gi';
    });
    assert.deepEqual(problems, []);
  });

  test('rejects a kind it has no schema for', () => {
    assert.deepEqual(schemaProblems({ apiVersion: 'v1', kind: 'Secrett' }), [
      'no schema for v1 Secrett',
    ]);
  });
});

describe('the invariant checks', () => {
  const cases: { what: string; change: (k: Kit) => void; expected: RegExp }[] = [
    {
      what: 'a container that may run as root',
      change: (k) => {
        mainContainer(k.web)!.securityContext!.runAsNonRoot = false;
      },
      expected: /hoplink-web\/web may run as root/,
    },
    {
      what: 'a writable root filesystem',
      change: (k) => {
        mainContainer(k.worker)!.securityContext!.readOnlyRootFilesystem = false;
      },
      expected: /hoplink-worker\/worker has a writable root filesystem/,
    },
    {
      what: 'privilege escalation',
      change: (k) => {
        k.migrate.spec!.template.spec!.containers[0]!.securityContext!.allowPrivilegeEscalation = true;
      },
      expected: /hoplink-migrate\/migrate allows privilege escalation/,
    },
    {
      what: 'an init container keeping its capabilities',
      change: (k) => {
        k.web.spec!.template.spec!.initContainers![0]!.securityContext!.capabilities = {};
      },
      expected: /hoplink-web\/wait-for-migrations keeps capabilities/,
    },
    {
      what: 'readiness on /healthz',
      change: (k) => {
        mainContainer(k.web)!.readinessProbe!.httpGet!.path = '/healthz';
      },
      expected: /web has no readiness probe on \/readyz/,
    },
    {
      what: 'a worker without a liveness probe',
      change: (k) => {
        delete mainContainer(k.worker)!.livenessProbe;
      },
      expected: /worker has no liveness probe/,
    },
    {
      what: 'a container without limits',
      change: (k) => {
        delete k.migrate.spec!.template.spec!.containers[0]!.resources!.limits;
      },
      expected: /hoplink-migrate\/migrate has no cpu and memory limits/,
    },
    {
      what: 'a workload on another image',
      change: (k) => {
        mainContainer(k.worker)!.image = 'hoplink:other';
      },
      expected: /workloads run different images/,
    },
    {
      what: 'an image kustomize cannot override',
      change: (k) => {
        for (const { template } of workloads(k)) {
          for (const container of containersOf(template)) container.image = 'shortener:1';
        }
      },
      expected: /no images entry for shortener/,
    },
    {
      what: 'a literal secret in the environment',
      change: (k) => {
        mainContainer(k.web)!.env = [{ name: 'DATABASE_URL', value: 'postgres://u:p@db/hop' }];
      },
      expected: /hoplink-web\/web: DATABASE_URL carries a secret/,
    },
    {
      what: 'a secret-like setting in the ConfigMap',
      change: (k) => {
        k.configMap.data!.SMTP_PASSWORD = 'hunter2';
      },
      expected: /SMTP_PASSWORD carries a secret/,
    },
    {
      what: 'a _FILE setting outside /run/secrets',
      change: (k) => {
        k.configMap.data!.SECRET_KEY_FILE = '/etc/hoplink/secret-key';
      },
      expected: /SECRET_KEY_FILE points outside \/run\/secrets/,
    },
    {
      what: 'a _FILE setting naming a file no volume provides',
      change: (k) => {
        k.configMap.data!.REDIS_URL_FILE = '/run/secrets/hoplink_redis';
      },
      expected: /REDIS_URL_FILE names \/run\/secrets\/hoplink_redis, which no secret volume/,
    },
    {
      what: 'world-readable secret files',
      change: (k) => {
        k.worker.spec!.template.spec!.volumes![0]!.projected!.defaultMode = 0o444;
      },
      expected: /hoplink-worker volume secrets is readable by other users/,
    },
    {
      what: 'a Secret object',
      change: (k) => {
        (k.objects as Record<string, unknown>[]).push({ apiVersion: 'v1', kind: 'Secret' });
      },
      expected: /the base holds a Secret object/,
    },
    {
      what: 'a grace period the drain does not fit in',
      change: (k) => {
        k.web.spec!.template.spec!.terminationGracePeriodSeconds = 30;
      },
      expected: /hoplink-web: terminationGracePeriodSeconds 30 <= 30/,
    },
    {
      what: 'a Service selecting the worker too',
      change: (k) => {
        k.service.spec!.selector = { 'app.kubernetes.io/name': 'hoplink' };
      },
      expected: /the Service does not select the web pods alone/,
    },
    {
      what: 'a Service targeting a port web does not expose',
      change: (k) => {
        k.service.spec!.ports![0]!.targetPort = 'web';
      },
      expected: /targets web, which web does not expose/,
    },
    {
      what: 'an Ingress naming a port the Service lacks',
      change: (k) => {
        k.ingress.spec!.rules![0]!.http!.paths[0]!.backend.service!.port = { name: 'https' };
      },
      expected: /the Ingress routes to hoplink-web:https/,
    },
    {
      what: 'a PodDisruptionBudget missing the web pods',
      change: (k) => {
        k.pdb.spec!.selector!.matchLabels!['app.kubernetes.io/component'] = 'frontend';
      },
      expected: /the PodDisruptionBudget does not select the web pods alone/,
    },
  ];

  for (const { what, change, expected } of cases) {
    test(`reject ${what}`, () => {
      const copy = kit(
        structuredClone(base.manifests.map((m) => m.object)),
        structuredClone(base.images),
      );
      change(copy);
      const problems = invariantProblems(copy);
      assert.ok(
        problems.some((problem) => expected.test(problem)),
        `expected ${expected} among:\n${problems.join('\n')}`,
      );
    });
  }
});
