import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { read } from './deploy-files.test-helper.js';
import { parsePromQL, withGrafanaIntervals } from './promql.test-helper.js';

// The operators' Prometheus rules (prometheus/msi.rules.yml) and Grafana dashboard
// (grafana/dashboards/msi-pipeline.json), checked statically: against the JSON Schemas of
// deploy/schemas/ (their origin is in its README), every expression parsed by the Prometheus grammar,
// every alert documented in OPERATIONS.md. That every metric they name is exported by the services is
// checked against the running pipeline in metrics-exported.int.test.ts.

interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
interface RuleFile {
  readonly groups: { readonly name: string; readonly rules: AlertingRule[] }[];
}
interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly datasource: { readonly type: string; readonly uid: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type: string; readonly uid: string };
  readonly targets?: Target[];
}
interface Dashboard {
  readonly panels: Panel[];
  readonly templating: {
    readonly list: { readonly name: string; readonly type: string; readonly query?: string }[];
  };
}

const rulesPath = 'prometheus/msi.rules.yml';
const dashboardPath = 'grafana/dashboards/msi-pipeline.json';

/** The errors of `data` against the schema in deploy/schemas/<name>, as `path: message` lines. */
function schemaErrors(name: string, data: unknown): string[] {
  const ajv = new Ajv2019({ allErrors: true, strict: true, allowUnionTypes: true });
  const validate = ajv.compile(JSON.parse(read(`schemas/${name}`)) as Record<string, unknown>);
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`);
}

/** The syntax errors of each expression, as `<where>: <error>` lines. */
function promqlErrors(queries: readonly { readonly where: string; readonly expr: string }[]): string[] {
  return queries.flatMap(({ where, expr }) => parsePromQL(expr).errors.map((e) => `${where}: ${e}`));
}

describe('the PromQL check itself', () => {
  it('reports syntax errors and names the selectors', () => {
    expect(parsePromQL('rate(msi_x_total[5m]').errors).not.toEqual([]);
    expect(parsePromQL('sum by (le) msi_x').errors).not.toEqual([]);
    expect(parsePromQL('{__name__="msi_x"}').errors).not.toEqual([]);
    const ok = parsePromQL(
      'sum by (shard) (rate(msi_a_total{shard="1", code=~"x|y"}[5m])) / ignoring(shard) msi_b',
    );
    expect(ok.errors).toEqual([]);
    expect(ok.selectors).toEqual([
      { metric: 'msi_a_total', labels: ['shard', 'code'] },
      { metric: 'msi_b', labels: [] },
    ]);
    expect(parsePromQL('rate(msi_a_total[$__rate_interval])').errors).not.toEqual([]);
    expect(parsePromQL(withGrafanaIntervals('rate(msi_a_total[$__rate_interval])')).errors).toEqual([]);
  });

  it('refuses a rule file the Prometheus documentation does not allow', () => {
    const bad = {
      groups: [
        {
          name: 'g',
          rules: [
            { alert: 'A', expr: 'up == 0', for: '5 minutes' },
            { record: 'not a metric name', expr: 'up' },
            { alert: 'B', record: 'b', expr: 'up' },
            { alert: 'C', expr: 'up', severity: 'critical' },
          ],
        },
      ],
    };
    const errors = schemaErrors('prometheus-rules.schema.json', bad);
    for (const at of ['/groups/0/rules/0', '/groups/0/rules/1', '/groups/0/rules/2', '/groups/0/rules/3']) {
      expect(
        errors.some((e) => e.startsWith(at)),
        `${at} in ${errors.join('\n')}`,
      ).toBe(true);
    }
  });

  it('refuses a dashboard Grafana would misread', () => {
    const ds = { type: 'prometheus', uid: 'p' };
    const panel = {
      id: 1,
      type: 'timeseries',
      title: 'p',
      datasource: ds,
      gridPos: { x: 0, y: 0, w: 8, h: 8 },
    };
    const bad = {
      uid: 'u',
      title: 't',
      schemaVersion: 16,
      time: { from: 'now-1h', to: 'now' },
      panels: [
        { ...panel, targets: [] },
        { ...panel, id: 2, gridPos: { x: 0, y: 8, w: 25, h: 8 }, targets: [{ refId: 'A', expr: 'up' }] },
        { ...panel, id: 3, targets: [{ refId: 'A' }] },
        { id: 4, type: 'row', title: 'r', gridPos: { x: 0, y: 16, w: 24, h: 1 } },
      ],
    };
    const errors = schemaErrors('grafana-dashboard.schema.json', bad);
    for (const at of [
      '/schemaVersion',
      '/panels/0/targets',
      '/panels/1/gridPos/w',
      '/panels/2/targets/0',
      '/panels/3',
    ]) {
      expect(
        errors.some((e) => e.startsWith(at)),
        `${at} in ${errors.join('\n')}`,
      ).toBe(true);
    }
  });
});

describe(`deploy/${rulesPath}`, () => {
  const rules = parse(read(rulesPath)) as RuleFile;
  const alerts = rules.groups.flatMap((g) => g.rules);

  it('is a rule file by the Prometheus rule-file schema', () => {
    expect(schemaErrors('prometheus-rules.schema.json', rules)).toEqual([]);
    expect(alerts.length).toBeGreaterThan(20);
  });

  it('has expressions that parse as PromQL', () => {
    expect(promqlErrors(alerts.map((r) => ({ where: r.alert, expr: r.expr })))).toEqual([]);
  });

  it('names each alert once, with a severity, a summary and a description', () => {
    const names = alerts.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(rules.groups.map((g) => g.name)).size).toBe(rules.groups.length);
    for (const rule of alerts) {
      expect(rule.alert, 'alert names are MsiCamelCase').toMatch(/^Msi[A-Z][A-Za-z]+$/);
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
  });

  it('covers what an operator of the pipeline must know', () => {
    const uses = (metric: string) =>
      alerts.some((r) => parsePromQL(r.expr).selectors.some((s) => s.metric === metric));
    // A round not anchored in time, a projection lagging, a witness silent, a service down, and the rest.
    for (const metric of [
      'msi_calendar_rounds_appended_total',
      'msi_verifier_projection_lag',
      'msi_calendar_witness_size',
      'up',
      'msi_ingest_requests_rejected_total',
      'msi_ingest_events_failed_total',
      'msi_aggregator_shard_pending_messages',
      'msi_alerter_stream_lag',
      'msi_alerter_webhook_deliveries_total',
      'msi_calendar_last_publication_timestamp_seconds',
    ]) {
      expect(uses(metric), metric).toBe(true);
    }
  });

  it('has every alert explained in OPERATIONS.md', () => {
    const operations = read('OPERATIONS.md');
    const section = operations.slice(operations.indexOf('## Dashboards and Prometheus alerts'));
    expect(section.length).toBeLessThan(operations.length);
    const missing = alerts.filter((r) => !section.includes(`**\`${r.alert}\`**`)).map((r) => r.alert);
    expect(missing, 'alerts without a paragraph in OPERATIONS.md').toEqual([]);
  });
});

describe(`deploy/${dashboardPath}`, () => {
  const dashboard = JSON.parse(read(dashboardPath)) as Dashboard;
  const panels = dashboard.panels;
  const queryPanels = panels.filter((p) => p.type !== 'row');

  it('is a Grafana dashboard by the dashboard model schema', () => {
    expect(schemaErrors('grafana-dashboard.schema.json', dashboard)).toEqual([]);
    expect(queryPanels.length).toBeGreaterThan(20);
  });

  it('has panel queries that parse as PromQL', () => {
    const queries = queryPanels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({
        where: `"${p.title}" ${t.refId}`,
        expr: withGrafanaIntervals(t.expr),
      })),
    );
    expect(queries.length).toBeGreaterThan(queryPanels.length);
    expect(promqlErrors(queries)).toEqual([]);
  });

  it('queries the Prometheus chosen by its datasource variable', () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of queryPanels) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template.
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of p.targets ?? []) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(p.datasource);
    }
  });

  it('lays its panels out on the 24-column grid without overlaps, with unique ids', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Map<string, string>();
    for (const { title, gridPos: g } of panels) {
      expect(g.x + g.w, title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const other = cells.get(`${x},${y}`);
          expect(other, `"${title}" overlaps "${other}"`).toBeUndefined();
          cells.set(`${x},${y}`, title);
        }
      }
    }
  });
});
