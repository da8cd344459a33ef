import { imprintOf, parseVerifierKey } from '@msi/core';
import { receiptToProto } from '@msi/wire';
import { describe, expect, it } from 'vitest';
import { buildCliWorld, logKey, worldEvent } from './cli-world.test-helper.js';
import { checkHistoryEntry } from './history-row.js';

// One round holding a PROCESS event whose data is also one of its outputs.
const item = imprintOf('sha256', new TextEncoder().encode('derived-dataset'));
const other = imprintOf('sha256', new TextEncoder().encode('raw-input'));
const world = buildCliWorld(1, 1, (i) => ({
  ...worldEvent(i),
  kind: 'PROCESS',
  data: item,
  inputs: [other],
  outputs: [item],
}));
const trust = { logKeys: [parseVerifierKey(logKey.verifierKey)] };

function entry(role: string) {
  return {
    eventId: Buffer.from(worldEvent(0).eventId),
    role,
    anchored: true,
    round: 0n,
    receipt: receiptToProto(world.receipt(0)),
  } as unknown as Parameters<typeof checkHistoryEntry>[0];
}

describe('checkHistoryEntry', () => {
  it('accepts every role the verifier lists, comma-joined, when the event names the item in each', () => {
    expect(checkHistoryEntry(entry('data,output'), item, trust).status).toBe('VALID');
    expect(checkHistoryEntry(entry('output'), item, trust).status).toBe('VALID');
  });

  it('refuses a listed role the event does not have', () => {
    const row = checkHistoryEntry(entry('data,input'), item, trust);
    expect(row.status).toBe('INVALID');
    expect(row.code).toBe('NOT_IN_EVENT');
  });
});
