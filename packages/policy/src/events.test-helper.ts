// TEST-ONLY: events and policies for the tests of this package; never exported from index.ts.
import { type DataEvent, encodeImprint, formatImprint, type Imprint, imprintOf, mintUuidV7 } from '@msi/core';
import type { FactSource } from './facts.js';
import { parsePolicy } from './parse-policy.js';
import type { Policy, RuleMatch } from './policy.js';
import { PolicyError, type PolicyProblem } from './policy-error.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The data item most test events are about, and its imprint text. */
export const CUSTOMERS = imprintOf('sha256', text('customers.csv'));
export const CUSTOMERS_TEXT = formatImprint(CUSTOMERS);

/** µs since the epoch of a UTC date-time. */
export const utcMicros = (y: number, mo: number, d: number, h = 0, mi = 0): number =>
  Date.UTC(y, mo - 1, d, h, mi) * 1000;

/** A valid ACCESS event of acme at 2026-01-14 12:00 UTC (a Wednesday); tests override fields. */
export function testEvent(overrides: Partial<DataEvent> = {}): DataEvent {
  return {
    tenant: 'acme',
    eventId: mintUuidV7(1_768_392_000_000, new Uint8Array(16).fill(7)),
    kind: 'ACCESS',
    data: CUSTOMERS,
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'alice',
    submitter: 'svc-crm',
    source: { system: 's3', region: 'eu-west-1', host: 'acme-raw' },
    destination: { system: '', region: '', host: '' },
    occurredAt: utcMicros(2026, 1, 14, 12),
    receivedAt: utcMicros(2026, 1, 14, 12) + 500,
    parents: [],
    attributes: [],
    nonce: new Uint8Array(16),
    ...overrides,
  };
}

/** A FactSource holding `facts` (name → value) of one tenant about one item (compared in wire form). */
export function factsAbout(
  tenant: string,
  item: Imprint,
  facts: Readonly<Record<string, string>>,
): FactSource {
  const wire = encodeImprint(item).join();
  return {
    fact: (t, data, name) => (t === tenant && encodeImprint(data).join() === wire ? facts[name] : undefined),
  };
}

/** A policy with one rule `r` whose `when` is the given YAML flow map, plus optional extra top-level YAML. */
export function oneRule(when: string, extra = '', ruleExtra = ''): Policy {
  return parsePolicy(
    `version: 1\n${extra}rules:\n  - id: r\n    description: test rule\n    severity: low\n    when: ${when}\n${ruleExtra}`,
  );
}

/** Whether rule `r` of oneRule(when) matches `event`. */
export function holds(when: string, event: DataEvent, facts?: FactSource, extra = ''): boolean {
  return matchOf(oneRule(when, extra), event, facts) !== undefined;
}

/** The match of the policy's first rule. */
export function matchOf(policy: Policy, event: DataEvent, facts?: FactSource): RuleMatch | undefined {
  const rule = policy.rules[0];
  if (rule === undefined) throw new Error('policy has no rules');
  return rule.match(event, facts ?? { fact: () => undefined });
}

/** The PolicyError parsePolicy throws for `text` (fails the test when it does not throw). */
export function loadError(text: string, source?: string): PolicyError {
  try {
    parsePolicy(text, source === undefined ? {} : { source });
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('parsePolicy accepted the file');
}

/** The problems as `line:column path: message` lines, for compact assertions. */
export const problemLines = (problems: readonly PolicyProblem[]): string[] =>
  problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
