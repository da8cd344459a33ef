#!/usr/bin/env node
// Writes the Kubernetes copies of the Prometheus rules and the Grafana dashboard:
//   prometheus/msi.rules.yml              → k8s/monitoring/prometheus-rule.yaml (PrometheusRule)
//   grafana/dashboards/msi-pipeline.json  → k8s/monitoring/grafana-dashboard.yaml (ConfigMap)
// Run it after changing either source: `node deploy/sync-k8s-monitoring.mjs` (from a checkout with the
// workspace installed). The deploy tests fail while a copy differs from its source.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const deploy = dirname(fileURLToPath(import.meta.url));
const read = (path) => readFileSync(join(deploy, path), 'utf8');
const write = (path, header, object) =>
  writeFileSync(join(deploy, path), `${header}${stringify(object, { lineWidth: 0 })}`);

const rules = parse(read('prometheus/msi.rules.yml'));
write(
  'k8s/monitoring/prometheus-rule.yaml',
  `# GENERATED from deploy/prometheus/msi.rules.yml by deploy/sync-k8s-monitoring.mjs: edit that file, then
# run the script. The MSI alerting rules for the Prometheus Operator (OPERATIONS.md, "Dashboards and
# Prometheus alerts"). The label below is for the Prometheus' ruleSelector: match yours (with
# kube-prometheus-stack: release: <its Helm release name>).
`,
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'msi', namespace: 'msi', labels: { 'app.kubernetes.io/part-of': 'msi' } },
    spec: { groups: rules.groups },
  },
);

const dashboard = JSON.parse(read('grafana/dashboards/msi-pipeline.json'));
write(
  'k8s/monitoring/grafana-dashboard.yaml',
  `# GENERATED from deploy/grafana/dashboards/msi-pipeline.json by deploy/sync-k8s-monitoring.mjs: edit that
# file, then run the script. The MSI dashboard for Grafana's dashboard sidecar (kube-prometheus-stack
# loads every ConfigMap labelled grafana_dashboard: "1", in any namespace it is told to watch).
`,
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'msi-grafana-dashboard',
      namespace: 'msi',
      labels: { grafana_dashboard: '1', 'app.kubernetes.io/part-of': 'msi' },
    },
    data: { 'msi-pipeline.json': `${JSON.stringify(dashboard)}\n` },
  },
);
