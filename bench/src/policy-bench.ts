// The policy benchmark: `pnpm bench:policy` (tsc -b, then node bench/dist/policy-bench.js).
// Evaluates every rule of the shipped policy (services/alerter/policies/default.yaml) on a mix of
// 10,000 synthetic events of three tenants, on one core, with an in-memory fact source, and prints
// rule evaluations/s and events/s (all rules per event). Nothing is asserted on the figures.
import { readFileSync } from 'node:fs';
import {
  type DataEvent,
  type EventKind,
  encodeImprint,
  type Imprint,
  imprintOf,
  mintUuidV7,
} from '@msi/core';
import { type FactSource, parsePolicy } from '@msi/policy';
import { formatRate, measure, runSection, sinkValue } from './harness.js';

const EVENTS = 10_000;
const ITEMS = 500;
const TENANTS = ['acme', 'globex', 'initech'];
const ACTORS = [
  'crm-export',
  'etl-customer-orders',
  'backup-sync',
  'mallory',
  'alice',
  'bob',
  'retention-job',
];
const REGIONS = ['eu-west-1', 'eu-central-1', 'eu-north-1', 'us-east-1', 'ap-south-1', ''];
const KINDS: readonly EventKind[] = ['TRANSFER', 'ACCESS', 'ACCESS', 'PROCESS', 'STORE', 'DELETE', 'STATE'];
const START_MS = Date.UTC(2026, 0, 12); // a Monday; events spread over two weeks

/** A deterministic pseudo-random sequence (xorshift32), so every run evaluates the same events. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

function syntheticEvents(items: readonly Imprint[]): DataEvent[] {
  const next = random(0x9e3779b9);
  return Array.from({ length: EVENTS }, (_, i) => {
    const kind = pick(next, KINDS);
    const occurredMs = START_MS + Math.floor(next() * 14 * 86_400_000);
    const endpoint = () => ({ system: 's3', region: pick(next, REGIONS), host: `bucket-${i % 7}` });
    return {
      tenant: pick(next, TENANTS),
      eventId: mintUuidV7(occurredMs, new Uint8Array(16).fill(i & 0xff)),
      kind,
      data: pick(next, items),
      inputs: kind === 'PROCESS' ? [pick(next, items)] : [],
      outputs: kind === 'PROCESS' ? [pick(next, items)] : [],
      toTenant: '',
      actor: pick(next, ACTORS),
      submitter: 'svc-bench',
      source: endpoint(),
      destination: endpoint(),
      occurredAt: occurredMs * 1000,
      receivedAt: occurredMs * 1000 + 500,
      parents: [],
      attributes: next() < 0.5 ? [{ key: 'classification', value: pick(next, ['pii', 'public']) }] : [],
      nonce: new Uint8Array(16),
    };
  });
}

/** Facts about half of the items, as the alerter would hold them after STATE events. */
function factSource(items: readonly Imprint[]): FactSource {
  const facts = new Map<string, string>();
  // Each item's wire form as text, made once per imprint object (as the alerter keys its custody state).
  const wireText = new WeakMap<Imprint, string>();
  const textOf = (data: Imprint) => {
    let text = wireText.get(data);
    if (text === undefined) {
      text = String.fromCharCode(...encodeImprint(data));
      wireText.set(data, text);
    }
    return text;
  };
  const key = (tenant: string, data: Imprint, name: string) => `${tenant}|${textOf(data)}|${name}`;
  items.forEach((item, i) => {
    if (i % 2 !== 0) return;
    for (const tenant of TENANTS) {
      facts.set(key(tenant, item, 'readers'), 'crm-export,etl-customer-orders,alice');
      if (i % 10 === 0) facts.set(key(tenant, item, 'retention_hold'), 'true');
    }
  });
  return { fact: (tenant, data, name) => facts.get(key(tenant, data, name)) };
}

const policyFile = new URL('../../services/alerter/policies/default.yaml', import.meta.url);
const policy = parsePolicy(readFileSync(policyFile, 'utf8'), { source: 'default.yaml' });
const items = Array.from({ length: ITEMS }, (_, i) =>
  imprintOf('sha256', new TextEncoder().encode(`item-${i}`)),
);
const events = syntheticEvents(items);
const facts = factSource(items);

function evaluateAll(): number {
  let matches = 0;
  for (const event of events) {
    for (const rule of policy.rules) if (rule.match(event, facts) !== undefined) matches++;
  }
  return matches;
}

await runSection('policy evaluation (default.yaml, one core)', (section) => {
  const matches = evaluateAll();
  const t = measure(evaluateAll, { opsPerRun: EVENTS, minTimeMs: 3000, minRuns: 10, maxRuns: 1000 });
  section.add({
    rules: policy.rules.length,
    events: EVENTS,
    'rule evaluations/s': formatRate(t.opsPerSec * policy.rules.length),
    'events/s': formatRate(t.opsPerSec),
    'matches per pass': matches,
    runs: t.runs,
  });
  section.note(`median pass over ${EVENTS} events: ${t.medianMs.toFixed(2)} ms (sink ${sinkValue()})`);
});
