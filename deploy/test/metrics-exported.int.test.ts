import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { encodeImprint, imprintOf, mintUuidV7 } from '@msi/core';
import { eventV1, ingestV1 } from '@msi/proto';
import { eventually, freePort, useWorld } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ComposeService, metricsPortsOf, namesReadBy, read } from './deploy-files.test-helper.js';
import {
  type Family,
  familyOf,
  parseExposition,
  parsePromQL,
  withGrafanaIntervals,
} from './promql.test-helper.js';

// Every metric the Prometheus rules and the Grafana dashboard query must be one the services really
// export. No list of metrics is written here: the REAL pipeline (calendar, aggregator, ingest,
// verifier, alerter, a witness) runs with the metrics ports the deployment sets (docker-compose.yml's
// MSI_<SERVICE>_METRICS_PORT), events are emitted (a policy violation whose alert is posted to a
// webhook, a refused call, a daily publication made every second) so that lazily created series
// exist, and each service's /metrics is scraped. A metric counts as exported when a service declares
// it (`# TYPE`), a histogram also by its _bucket/_sum/_count series; the labels a selector matches on
// must be labels of its samples, where it has any.

/** Series Prometheus makes itself for every target; no service exports them. */
const PROMETHEUS_SERIES = new Set(['up']);
/** Labels Prometheus attaches to every scraped series (the scrape jobs of deploy/). */
const TARGET_LABELS = new Set(['job', 'instance']);

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const metricsPorts = metricsPortsOf(compose.services);
const rules = parse(read('prometheus/msi.rules.yml')) as {
  groups: { rules: { alert: string; expr: string }[] }[];
};
const dashboard = JSON.parse(read('grafana/dashboards/msi-pipeline.json')) as {
  panels: { type: string; title: string; targets?: { refId: string; expr: string }[] }[];
};

/** Every query of the rules and the dashboard, with where it is. */
const queries = [
  ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr }))),
  ...dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      where: `panel "${p.title}" ${t.refId}`,
      expr: withGrafanaIntervals(t.expr),
    })),
  ),
];

const EMITTER = 'deploy-metrics-emitter';
const SECRET = 'deploy-metrics-webhook-secret';
const ports = new Map<string, number>();
const deliveries: string[] = [];

const world = useWorld({
  label: 'deploy_metrics',
  pipeline: async ({ workDir, defer }) => {
    // The deployed policy, its webhook pointed at a receiver of this test.
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        deliveries.push(body);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    defer(() => new Promise((resolve) => receiver.close(resolve)));
    const address = receiver.address();
    const hookPort = typeof address === 'object' && address !== null ? address.port : 0;
    const policy = read('policies/policy.yaml').replace(
      /url: https:\/\/alerts\.example\.invalid\/msi/,
      `url: http://127.0.0.1:${hookPort}/hook`,
    );
    expect(policy).toContain(`127.0.0.1:${hookPort}`);
    const policyFile = join(workDir, 'policy.yaml');
    await writeFile(policyFile, policy);

    const extraEnv: Record<string, Record<string, string>> = {};
    for (const [service, { variable }] of metricsPorts) {
      const port = await freePort();
      ports.set(service, port);
      const env: Record<string, string> = { [variable]: String(port) };
      const host = variable.replace(/_PORT$/, '_HOST');
      if (namesReadBy(service).has(host)) env[host] = '127.0.0.1';
      extraEnv[service] = env;
    }
    // A publication every second instead of daily, and the webhook's secret.
    extraEnv.calendar = { ...extraEnv.calendar, MSI_CALENDAR_PUBLICATION_INTERVAL_MS: '1000' };
    extraEnv.alerter = { ...extraEnv.alerter, MSI_WEBHOOK_OPS_SECRET: SECRET };
    return {
      verifier: true,
      alerter: { policyFile },
      witnesses: ['witness-1'],
      apiKeys: [{ key: EMITTER, tenant: 'acme', principal: 'acme-gateway', roles: ['emitter'] }],
      extraEnv,
    };
  },
});

const scrape = async (service: string): Promise<string> => {
  const response = await fetch(`http://127.0.0.1:${ports.get(service)}/metrics`);
  if (!response.ok) throw new Error(`${service} /metrics: ${response.status}`);
  return response.text();
};

/** A probe for eventually: the service's page once every pattern is on it. */
const scrapeShowing =
  (service: string, ...patterns: RegExp[]) =>
  async () => {
    const page = await scrape(service);
    return patterns.every((p) => p.test(page)) && page;
  };

async function submit(events: eventV1.DataEvent[], key: string): Promise<ingestV1.SubmitBatchResponse> {
  const client = new ingestV1.IngestServiceClient(world.pipeline.ingestAddress, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  try {
    return await new Promise((resolve, reject) =>
      client.submitBatch({ events }, metadata, { deadline: Date.now() + 15_000 }, (e, r) =>
        e !== null || r === undefined ? reject(e) : resolve(r),
      ),
    );
  } finally {
    client.close();
  }
}

/** Per referenced metric that is not exported, or matched on a label it does not carry: one line. */
function problemsOf(families: ReadonlyMap<string, Family>): string[] {
  const problems: string[] = [];
  for (const { where, expr } of queries) {
    for (const { metric, labels } of parsePromQL(expr).selectors) {
      if (PROMETHEUS_SERIES.has(metric)) continue;
      const family = familyOf(families, metric);
      if (family === undefined) {
        problems.push(`${where}: ${metric} is exported by no service`);
        continue;
      }
      if (family.samples === 0) continue;
      for (const label of labels) {
        if (!family.labels.has(label) && !TARGET_LABELS.has(label))
          problems.push(
            `${where}: ${metric} has no label ${label} (it has ${[...family.labels].join(', ')})`,
          );
      }
    }
  }
  return problems;
}

/** The families of every page together (a label counts when any service's samples carry it). */
function merge(pages: readonly string[]): Map<string, Family> {
  const all = new Map<string, Family>();
  for (const page of pages) {
    for (const [name, family] of parseExposition(page)) {
      const known = all.get(name);
      if (known === undefined) all.set(name, family);
      else {
        for (const label of family.labels) known.labels.add(label);
        known.samples += family.samples;
      }
    }
  }
  return all;
}

let pages = new Map<string, string>();

describe('the metrics the rules and the dashboard query', () => {
  it('are exported by the running services', async () => {
    expect([...metricsPorts.keys()].sort()).toEqual([
      'aggregator',
      'alerter',
      'calendar',
      'ingest',
      'verifier',
    ]);
    const item = Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(world.workDir))));
    // pii leaving the allowed regions: a high alert, posted to the policy's `ops` webhook.
    const answer = await submit(
      [
        eventV1.DataEvent.fromPartial({
          eventId: Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16)))),
          occurredAtUs: BigInt(Date.now() * 1000),
          kind: eventV1.EventKind.EVENT_KIND_TRANSFER,
          data: item,
          actor: 'backup-sync',
          source: { system: 's3', region: 'eu-west-1', host: '' },
          destination: { system: 's3', region: 'us-east-1', host: '' },
          attributes: [{ key: 'classification', value: 'pii' }],
        }),
      ],
      EMITTER,
    );
    expect(answer.acks[0]?.outcome?.$case).toBe('durable');
    // A call ingest refuses (an unknown key): the refusal and the security event are counted.
    await expect(submit([], 'not-a-key')).rejects.toThrow(/UNAUTHENTICATED|not authenticated/);

    const detail = () => world.logTail();
    const wait = { timeoutMs: 45_000, detail };
    await eventually('the webhook to receive the alert', () => deliveries.length > 0, wait);
    await eventually(
      'the alerter to count the delivery',
      scrapeShowing('alerter', /outcome="delivered"/),
      wait,
    );
    await eventually(
      'the calendar to store a cosignature and a publication',
      scrapeShowing(
        'calendar',
        /msi_calendar_witness_cosigned_total\{/,
        /msi_calendar_publications_total\{outcome="published"/,
      ),
      wait,
    );
    await eventually(
      'the aggregator to seal',
      scrapeShowing('aggregator', /msi_aggregator_events_sealed_total\{/),
      wait,
    );
    await eventually(
      'the verifier to apply the event',
      scrapeShowing('verifier', /msi_verifier_events_applied_total\{[^}]*\} [1-9]/),
      wait,
    );

    pages = new Map();
    for (const service of metricsPorts.keys()) pages.set(service, await scrape(service));
    const families = merge([...pages.values()]);
    expect(queries.length).toBeGreaterThan(50);
    expect(problemsOf(families)).toEqual([]);
    // The check catches a name no service exports, and a label a metric does not carry.
    const wrong = new Map(families);
    wrong.delete('msi_alerter_stream_lag');
    expect(problemsOf(wrong)).toContainEqual(
      expect.stringMatching(/msi_alerter_stream_lag is exported by no service/),
    );
    const relabelled = merge([...pages.values()]);
    const rounds = relabelled.get('msi_calendar_rounds_appended_total');
    expect(rounds?.samples).toBeGreaterThan(0);
    rounds?.labels.delete('source');
    expect(problemsOf(relabelled)).toContainEqual(
      expect.stringMatching(/msi_calendar_rounds_appended_total has no label source/),
    );
  });

  it('include what operators needed and the services now export', () => {
    // The metrics added for these rules, with values from the run above.
    const calendar = pages.get('calendar') ?? '';
    const publishedAt = /^msi_calendar_last_publication_timestamp_seconds\{[^}]*\} (\d+)$/m.exec(
      calendar,
    )?.[1];
    expect(Number(publishedAt)).toBeGreaterThan(0);
    expect(pages.get('alerter')).toMatch(/^msi_alerter_stream_lag\{stream="events"[^}]*\} \d+$/m);
    expect(pages.get('ingest')).toMatch(/^msi_ingest_ack_seconds_count\{[^}]*\} [1-9]\d*$/m);
  });
});
