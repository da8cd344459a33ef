import { compileConditions } from './conditions.js';
import type {
  CustodyExemption,
  CustodyRuleSettings,
  CustodySettings,
  IntegritySettings,
  WebhookSpec,
} from './policy.js';
import { type RuleContext, readTenantSet } from './read-rules.js';
import { SEVERITIES, type Severity } from './severity.js';
import type { At, Entries, YamlReader } from './yaml-reader.js';

const CUSTODY_RULES = {
  unknown_provenance: 'medium',
  use_after_delete: 'high',
  unanchored_input: 'high',
} as const satisfies Record<string, Severity>;
type CustodyRule = keyof typeof CUSTODY_RULES;

/**
 * The `custody` section: the rules (absent rules are enabled with their default severity) and
 * `exempt`, the conditions of events left out of them.
 */
export function readCustody(
  ctx: RuleContext,
  at: At | undefined,
): { settings: CustodySettings; exempt: CustodyExemption } {
  const { reader } = ctx;
  const keys = [...Object.keys(CUSTODY_RULES), 'exempt'];
  const entries: Entries = at === undefined ? new Map() : (reader.map(at, keys) ?? new Map());
  const rule = (name: CustodyRule) => readCustodyRule(reader, entries.get(name), CUSTODY_RULES[name]);
  return {
    settings: {
      unknownProvenance: rule('unknown_provenance'),
      useAfterDelete: rule('use_after_delete'),
      unanchoredInput: rule('unanchored_input'),
    },
    exempt: readExemption(ctx, entries.get('exempt')),
  };
}

function readExemption(ctx: RuleContext, at: At | undefined): CustodyExemption {
  const when = at && compileConditions({ reader: ctx.reader, lists: ctx.lists, reads: new Map() }, at);
  if (when === undefined) return () => false;
  return (event, facts) => when(ctx.views.of(event, facts));
}

function readCustodyRule(reader: YamlReader, at: At | undefined, severity: Severity): CustodyRuleSettings {
  const enabled: CustodyRuleSettings = { enabled: true, severity, tenants: undefined };
  if (at === undefined) return enabled;
  if (at.node !== null && 'value' in at.node && typeof at.node.value === 'string') {
    if (at.node.value !== 'off')
      reader.report(at, `must be off or { severity, tenants }, got "${at.node.value}"`);
    return { ...enabled, enabled: false };
  }
  const entries = reader.map(at, ['severity', 'tenants']);
  if (entries === undefined) return enabled;
  const severityAt = entries.get('severity');
  return {
    enabled: true,
    severity: (severityAt && reader.oneOf(severityAt, SEVERITIES)) ?? severity,
    tenants: readTenantSet(reader, entries.get('tenants')),
  };
}

const MAX_ROUNDS = 1_000_000;

/** The `integrity` section, over the defaults (3, 3, 5 rounds; 10 auth failures in 60 s → high). */
export function readIntegrity(reader: YamlReader, at: At | undefined): IntegritySettings {
  const keys = ['seal_sla_rounds', 'anchor_sla_rounds', 'calendar_stall_rounds', 'auth_failures'];
  const entries: Entries = at === undefined ? new Map() : (reader.map(at, keys) ?? new Map());
  const rounds = (key: string, fallback: number) => {
    const e = entries.get(key);
    return (e && reader.integer(e, 1, MAX_ROUNDS)) ?? fallback;
  };
  const authAt = entries.get('auth_failures');
  const auth =
    authAt === undefined ? new Map() : (reader.map(authAt, ['threshold', 'window', 'severity']) ?? new Map());
  const thresholdAt = auth.get('threshold');
  const windowAt = auth.get('window');
  const severityAt = auth.get('severity');
  return {
    sealSlaRounds: rounds('seal_sla_rounds', 3),
    anchorSlaRounds: rounds('anchor_sla_rounds', 3),
    calendarStallRounds: rounds('calendar_stall_rounds', 5),
    authFailures: {
      threshold: (thresholdAt && reader.integer(thresholdAt, 1, MAX_ROUNDS)) ?? 10,
      windowUs: (windowAt && reader.duration(windowAt)) ?? 60_000_000,
      severity: (severityAt && reader.oneOf(severityAt, SEVERITIES)) ?? 'high',
    },
  };
}

const WEBHOOK_KEYS = ['name', 'url', 'secret_env', 'secret', 'min_severity', 'tenants'];
const WEBHOOK_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The `webhooks` section. */
export function readWebhooks(reader: YamlReader, at: At | undefined): WebhookSpec[] {
  if (at === undefined) return [];
  const names = new Set<string>();
  const hooks: WebhookSpec[] = [];
  for (const item of reader.seq(at) ?? []) {
    const hook = readWebhook(reader, item, names);
    if (hook !== undefined) hooks.push(hook);
  }
  return hooks;
}

function readWebhook(reader: YamlReader, at: At, names: Set<string>): WebhookSpec | undefined {
  const entries = reader.map(at, WEBHOOK_KEYS);
  if (entries === undefined) return undefined;
  const nameAt = reader.entry(entries, 'name', at, true);
  const name = nameAt && reader.matching(nameAt, WEBHOOK_NAME, 'a webhook name ([a-z0-9][a-z0-9-]*)');
  if (nameAt && name !== undefined) {
    if (names.has(name)) reader.report(nameAt, `duplicate webhook name "${name}"`);
    names.add(name);
  }
  const urlAt = reader.entry(entries, 'url', at, true);
  const url = urlAt && readUrl(reader, urlAt);
  const secretEnvAt = entries.get('secret_env');
  const secretAt = entries.get('secret');
  const secretEnv = secretEnvAt && reader.matching(secretEnvAt, ENV_NAME, 'an environment variable name');
  const secret = secretAt && reader.string(secretAt);
  if (secretAt !== undefined && secretEnvAt !== undefined) {
    reader.reportAt(secretAt.keyOffset, secretAt.path, 'give either secret or secret_env, not both');
  } else if (secretAt === undefined && secretEnvAt === undefined) {
    reader.report({ ...at, path: `${at.path}.secret_env` }, 'is required (or secret)');
  }
  const minAt = entries.get('min_severity');
  const minSeverity = minAt ? reader.oneOf(minAt, SEVERITIES) : 'low';
  const tenants = readTenantSet(reader, entries.get('tenants'));
  if (name === undefined || url === undefined || minSeverity === undefined) return undefined;
  if ((secret === undefined) === (secretEnv === undefined)) return undefined;
  return { name, url, secret, secretEnv, minSeverity, tenants };
}

function readUrl(reader: YamlReader, at: At): string | undefined {
  const text = reader.string(at);
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    reader.report(at, `"${text}" is not an http or https URL`);
    return undefined;
  }
  return text;
}
