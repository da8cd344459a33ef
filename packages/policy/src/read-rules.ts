import { type ConditionScope, compileConditions, type Predicate } from './conditions.js';
import type { ViewCache } from './event-view.js';
import { type Field, fieldPathProblem, lookupField, valueText } from './field-paths.js';
import type { PolicyRule, RuleMatch } from './policy.js';
import { TENANT } from './read-world.js';
import { SEVERITIES, type Severity } from './severity.js';
import { compileTemplate, isTemplateProblem, type Template } from './template.js';
import type { At, YamlReader } from './yaml-reader.js';

const RULE_KEYS = ['id', 'description', 'severity', 'tenants', 'evaluate', 'when', 'message', 'dedupe'];
const RULE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const DEFAULT_DEDUPE_BY = ['actor', 'data'];
const DEFAULT_DEDUPE_WINDOW_US = 10 * 60_000_000;
const DEFAULT_MESSAGE_TAIL = ': {kind} of {data} by {actor}';

/** What reading the rules needs from the rest of the policy. */
export interface RuleContext {
  readonly reader: YamlReader;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly views: ViewCache;
}

/** The `rules` section, compiled; rules with problems are left out (and the problems reported). */
export function readRules(ctx: RuleContext, at: At | undefined): PolicyRule[] {
  if (at === undefined) return [];
  const rules: PolicyRule[] = [];
  const ids = new Set<string>();
  for (const item of ctx.reader.seq(at) ?? []) {
    const rule = readRule(ctx, item, ids);
    if (rule !== undefined) rules.push(rule);
  }
  return rules;
}

function readRule(ctx: RuleContext, at: At, ids: Set<string>): PolicyRule | undefined {
  const { reader } = ctx;
  const entries = reader.map(at, RULE_KEYS);
  if (entries === undefined) return undefined;
  const before = reader.problems.length;
  const idAt = reader.entry(entries, 'id', at, true);
  const id = idAt && reader.matching(idAt, RULE_ID, 'a rule id ([a-z0-9][a-z0-9-]{0,63})');
  if (idAt && id !== undefined) {
    if (ids.has(id)) reader.report(idAt, `duplicate rule id "${id}"`);
    ids.add(id);
  }
  const descriptionAt = reader.entry(entries, 'description', at, true);
  const description = descriptionAt && reader.string(descriptionAt);
  const severityAt = reader.entry(entries, 'severity', at, true);
  const severity = severityAt && reader.oneOf(severityAt, SEVERITIES);
  const tenants = readTenantSet(reader, entries.get('tenants'));
  const evaluateAt = entries.get('evaluate');
  const evaluate = evaluateAt && reader.oneOf(evaluateAt, ['arrival', 'anchored'] as const);
  const whenAt = reader.entry(entries, 'when', at, true);
  const scope: ConditionScope = { reader, lists: ctx.lists, reads: new Map() };
  const when = whenAt && compileConditions(scope, whenAt);
  const messageAt = entries.get('message');
  const message = messageAt ? readTemplate(reader, messageAt) : compileTemplate(DEFAULT_MESSAGE_TAIL);
  const dedupe = readDedupe(reader, entries.get('dedupe'));
  if (
    reader.problems.length > before ||
    id === undefined ||
    description === undefined ||
    severity === undefined ||
    when === undefined ||
    message === undefined ||
    isTemplateProblem(message) ||
    dedupe === undefined
  ) {
    return undefined;
  }
  const usesFacts = [...scope.reads.values(), ...message.fields, ...dedupe.by].some(
    (f) => f.factName !== undefined,
  );
  return compileRule(ctx.views, {
    id,
    description,
    severity,
    tenants,
    evaluate: evaluate ?? (usesFacts ? 'anchored' : 'arrival'),
    when,
    message,
    messagePrefix: messageAt ? '' : description,
    reads: [...scope.reads.values()],
    dedupeBy: dedupe.by,
    dedupeWindowUs: dedupe.windowUs,
  });
}

/** A `tenants: [a, b]` scope; undefined when absent. */
export function readTenantSet(reader: YamlReader, at: At | undefined): ReadonlySet<string> | undefined {
  if (at === undefined) return undefined;
  const names = reader.strings(at, (t) =>
    reader.matching(t, TENANT, 'a tenant name (1-64 characters of [a-z0-9._-])'),
  );
  return names === undefined ? undefined : new Set(names);
}

function readTemplate(reader: YamlReader, at: At): Template | undefined {
  const text = reader.string(at);
  if (text === undefined) return undefined;
  const template = compileTemplate(text);
  if (!isTemplateProblem(template)) return template;
  const close = text.indexOf('}', template.index);
  const fragment = text.slice(template.index, close < 0 ? template.index + 1 : close + 1);
  reader.reportWithin(at, fragment, template.message);
  return undefined;
}

interface Dedupe {
  readonly by: readonly Field[];
  readonly windowUs: number;
}

function readDedupe(reader: YamlReader, at: At | undefined): Dedupe | undefined {
  const defaults = {
    by: DEFAULT_DEDUPE_BY.map((p) => lookupField(p) as Field),
    windowUs: DEFAULT_DEDUPE_WINDOW_US,
  };
  if (at === undefined) return defaults;
  const entries = reader.map(at, ['by', 'window']);
  if (entries === undefined) return undefined;
  const byAt = entries.get('by');
  const windowAt = entries.get('window');
  let by: readonly Field[] | undefined = defaults.by;
  if (byAt !== undefined) {
    const fields: Field[] = [];
    for (const item of reader.seq(byAt) ?? []) {
      const path = reader.string(item);
      const field = path === undefined ? undefined : lookupField(path);
      if (path !== undefined && field === undefined) reader.report(item, fieldPathProblem(path));
      if (field === undefined) by = undefined;
      else fields.push(field);
    }
    if (by !== undefined) by = fields;
  }
  const windowUs = windowAt === undefined ? defaults.windowUs : reader.duration(windowAt);
  return by === undefined || windowUs === undefined ? undefined : { by, windowUs };
}

interface RuleParts {
  readonly id: string;
  readonly description: string;
  readonly severity: Severity;
  readonly tenants: ReadonlySet<string> | undefined;
  readonly evaluate: 'arrival' | 'anchored';
  readonly when: Predicate;
  readonly message: Template;
  /** Put before the rendered message (the description, for the default message). */
  readonly messagePrefix: string;
  readonly reads: readonly Field[];
  readonly dedupeBy: readonly Field[];
  readonly dedupeWindowUs: number;
}

function compileRule(views: ViewCache, parts: RuleParts): PolicyRule {
  const { id, tenants, when, message, messagePrefix, reads, dedupeBy } = parts;
  return {
    id,
    description: parts.description,
    severity: parts.severity,
    evaluate: parts.evaluate,
    tenants,
    dedupeWindowUs: parts.dedupeWindowUs,
    match(event, facts): RuleMatch | undefined {
      if (tenants !== undefined && !tenants.has(event.tenant)) return undefined;
      const view = views.of(event, facts);
      if (!when(view)) return undefined;
      let dedupeKey = `${id}|${event.tenant}|`;
      for (let i = 0; i < dedupeBy.length; i++) {
        const field = dedupeBy[i] as Field;
        const value = field.read(view);
        dedupeKey += `${i === 0 ? '' : ' '}${field.path}=${value === undefined ? '' : valueText(value)}`;
      }
      const details: Record<string, string> = { rule: id };
      for (const field of reads) {
        const value = field.read(view);
        if (value !== undefined) details[field.path] = valueText(value);
      }
      return { message: messagePrefix + message.render(view), dedupeKey, details };
    },
  };
}
