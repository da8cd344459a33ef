import { parser } from '@prometheus-io/lezer-promql';

// PromQL as the deploy tests read it: parsed with the Prometheus project's own grammar
// (@prometheus-io/lezer-promql, the parser of Prometheus' web UI), which checks syntax, not types; and
// the Prometheus text exposition format, as the services serve it on /metrics.

/** A vector selector of an expression: the metric it names and the labels it matches on. */
export interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

export interface ParsedPromQL {
  /** Where the grammar failed, e.g. `error at 12: "[5m"`; empty when the expression parses. */
  readonly errors: readonly string[];
  readonly selectors: readonly Selector[];
}

/** Grafana's built-in interval variables, replaced by a duration so that a panel query parses as PromQL. */
export function withGrafanaIntervals(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

/** Parses `expr`; every syntax error and every vector selector (metric name and matched labels). */
export function parsePromQL(expr: string): ParsedPromQL {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const selectors: Selector[] = [];
  const text = (from: number, to: number) => expr.slice(from, to);
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) {
        errors.push(
          `error at ${ref.from}: ${JSON.stringify(text(ref.from, Math.max(ref.to, ref.from + 8)))}`,
        );
        return;
      }
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const name = node.getChild('Identifier');
      if (name === null) {
        errors.push(`selector without a metric name at ${ref.from}: ${text(ref.from, ref.to)}`);
        return;
      }
      const labels: string[] = [];
      for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = matcher.getChild('LabelName');
        if (label !== null) labels.push(text(label.from, label.to));
      }
      selectors.push({ metric: text(name.from, name.to), labels });
    },
  });
  return { errors, selectors };
}

/** A metric family of a /metrics page: its type, and the label names its samples carry. */
export interface Family {
  readonly type: string;
  readonly labels: Set<string>;
  samples: number;
}

const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

/** The metric families a Prometheus text exposition declares (`# TYPE`), with their samples' labels. */
export function parseExposition(page: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of page.split('\n')) {
    const declared = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line);
    if (declared?.[1] !== undefined && declared[2] !== undefined) {
      families.set(declared[1], { type: declared[2], labels: new Set(), samples: 0 });
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? \S+/.exec(line);
    if (sample?.[1] === undefined) continue;
    const family = familyOf(families, sample[1]);
    if (family === undefined) continue;
    family.samples += 1;
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) {
      if (m[1] !== undefined && m[1] !== 'le' && m[1] !== 'quantile') family.labels.add(m[1]);
    }
  }
  return families;
}

/** The family a series name belongs to: itself, or a histogram's/summary's `_bucket`/`_sum`/`_count`. */
export function familyOf(families: ReadonlyMap<string, Family>, name: string): Family | undefined {
  const own = families.get(name);
  if (own !== undefined) return own;
  for (const [type, suffixes] of Object.entries(SUFFIXES)) {
    for (const suffix of suffixes) {
      if (!name.endsWith(suffix)) continue;
      const base = families.get(name.slice(0, -suffix.length));
      if (base?.type === type) return base;
    }
  }
  return undefined;
}
