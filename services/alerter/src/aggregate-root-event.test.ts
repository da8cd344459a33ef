// A client's root event (docs/PROOFS.md §12: the one v1 event that carries a local tree's root) must
// raise no alert of the shipped policy and no custody alert: it is a STORE of a fresh imprint with no
// endpoints and only the msi.aggregate.* attributes. Also what a policy author can rely on to tell
// root events apart.
import { readFileSync } from 'node:fs';
import { type DataEvent, imprintOf, mintUuidV7, rootEventFields } from '@msi/core';
import { parsePolicy } from '@msi/policy';
import { describe, expect, it } from 'vitest';
import { CustodyState } from './custody.js';

const policy = parsePolicy(readFileSync(new URL('../policies/default.yaml', import.meta.url), 'utf8'), {
  source: 'default.yaml',
});

function rootEvent(n: number): DataEvent {
  const root = imprintOf('sha256', new TextEncoder().encode(`local tree ${n}`)).digest;
  return {
    tenant: 'acme',
    eventId: mintUuidV7(1_768_392_000_000 + n, new Uint8Array(16).fill(n)),
    ...rootEventFields({ root, leafCount: 1000 + n }),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'msi-client',
    submitter: 'edge-gateway',
    source: { system: '', region: '', host: '' },
    destination: { system: '', region: '', host: '' },
    // 03:00 on a Sunday in Berlin: outside acme's business hours
    occurredAt: 1_768_701_600_000_000,
    receivedAt: 1_768_701_600_000_500,
    parents: [],
    nonce: new Uint8Array(16),
  };
}

describe('a root event of a local tree', () => {
  it('matches no rule of the shipped policy', () => {
    for (const rule of policy.rules) {
      expect(rule.match(rootEvent(1), { fact: () => undefined }), rule.id).toBeUndefined();
    }
  });

  it('raises no custody finding, before or after others (each root is a new item)', () => {
    const state = new CustodyState();
    for (let n = 0; n < 3; n++) {
      expect(state.check(rootEvent(n), policy.custody)).toEqual([]);
      state.apply(rootEvent(n), n);
    }
  });

  it('can be told apart by a rule: attributes.msi.aggregate.format exists only on root events', () => {
    const rules = parsePolicy(
      [
        'version: 1',
        'rules:',
        '  - id: any-store-without-region',
        '    description: a store with no destination region',
        '    severity: low',
        '    when:',
        '      kind: STORE',
        '      not: { destination.region: { exists: true } }',
        '      attributes.msi.aggregate.format: { exists: false }',
      ].join('\n'),
    ).rules;
    expect(rules[0]?.match(rootEvent(1), { fact: () => undefined })).toBeUndefined();
    const plain = { ...rootEvent(2), attributes: [] };
    expect(rules[0]?.match(plain, { fact: () => undefined })).toBeDefined();
  });
});
