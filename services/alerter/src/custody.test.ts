import { readFileSync } from 'node:fs';
import { type DataEvent, encodeImprint, type Imprint, imprintOf, makeImprint, mintUuidV7 } from '@msi/core';
import { parsePolicy } from '@msi/policy';
import { describe, expect, it } from 'vitest';
import { CustodyState, keyBytes, splitDeletionKey, splitFactKey } from './custody.js';

const itemOf = (name: string): Imprint => imprintOf('sha256', new TextEncoder().encode(name));
const RAW = itemOf('raw.csv');
const OUT = itemOf('derived.csv');
const GHOST = itemOf('ghost.csv');
let counter = 0;

function event(kind: DataEvent['kind'], data: Imprint, extra: Partial<DataEvent> = {}): DataEvent {
  counter += 1;
  return {
    tenant: 'acme',
    eventId: mintUuidV7(1_768_392_000_000 + counter, new Uint8Array(16).fill(counter)),
    kind,
    data,
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'job',
    submitter: 'svc',
    source: { system: '', region: '', host: '' },
    destination: { system: '', region: '', host: '' },
    occurredAt: 1_768_392_000_000_000,
    receivedAt: 1_768_392_000_000_000,
    parents: [],
    attributes: [],
    nonce: new Uint8Array(16),
    ...extra,
  };
}

const settings = parsePolicy('version: 1\nrules: []\n').custody;

/** Runs events through the state in order; returns the rule names found per event. */
function run(state: CustodyState, events: DataEvent[]): string[][] {
  return events.map((e, i) => {
    const found = state.check(e, settings).map((f) => f.rule);
    state.apply(e, i);
    return found;
  });
}

describe('CustodyState', () => {
  it("the shipped policy exempts the agent's file reports: no unknown provenance, no deletion of the item", () => {
    const shipped = parsePolicy(readFileSync(new URL('../policies/default.yaml', import.meta.url), 'utf8'));
    const state = new CustodyState();
    const fileReport = (kind: DataEvent['kind']) =>
      event(kind, RAW, {
        source: { system: 'file', region: '', host: 'web-1' },
        attributes: [{ key: 'file.path', value: '/srv/a.csv' }],
      });
    // a file only baselined in aggregate (the server never saw RAW stored) is deleted on one host;
    // an identical copy elsewhere is read afterwards
    const judged = [fileReport('DELETE'), event('ACCESS', RAW)].map((e, i) => {
      const exempt = shipped.custodyExempt(e, state);
      const found = exempt ? [] : state.check(e, shipped.custody).map((f) => f.rule);
      state.apply(e, i, { recordDeletion: !exempt });
      return [exempt, found];
    });
    expect(judged).toEqual([
      [true, []],
      [false, ['unknown-provenance']],
    ]);
  });

  it('a stored item may be read; an item never stored or produced has unknown provenance', () => {
    const state = new CustodyState();
    expect(run(state, [event('STORE', RAW), event('ACCESS', RAW), event('ACCESS', GHOST)])).toEqual([
      [],
      [],
      ['unknown-provenance'],
    ]);
  });

  it('a PROCESS output has provenance; an input never anchored is flagged, an anchored one is not', () => {
    const state = new CustodyState();
    const process = event('PROCESS', RAW, { inputs: [RAW, GHOST], outputs: [OUT] });
    expect(run(state, [event('STORE', RAW), process, event('TRANSFER', OUT)])).toEqual([
      [],
      ['unanchored-input'],
      [],
    ]);
  });

  it('use after delete applies to the deleting tenant until it stores the item again', () => {
    const state = new CustodyState();
    const globexRead = event('ACCESS', RAW, { tenant: 'globex' });
    expect(
      run(state, [
        event('STORE', RAW),
        event('DELETE', RAW),
        event('ACCESS', RAW),
        globexRead,
        event('PROCESS', OUT, { inputs: [RAW], outputs: [OUT] }),
        event('STORE', RAW),
        event('ACCESS', RAW),
      ]),
    ).toEqual([[], [], ['use-after-delete'], [], ['use-after-delete'], [], []]);
  });

  it('STATE facts are scoped to the tenant and item, later ones override, an empty value retracts', () => {
    const state = new CustodyState();
    state.apply(event('STATE', RAW, { attributes: [{ key: 'fact.readers', value: 'a,b' }] }), 1);
    expect(state.fact('acme', RAW, 'readers')).toBe('a,b');
    expect(state.fact('globex', RAW, 'readers')).toBeUndefined();
    state.apply(event('STATE', RAW, { attributes: [{ key: 'fact.readers', value: 'c' }] }), 2);
    expect(state.fact('acme', RAW, 'readers')).toBe('c');
    state.apply(event('STATE', RAW, { attributes: [{ key: 'fact.readers', value: '' }] }), 3);
    expect(state.fact('acme', RAW, 'readers')).toBeUndefined();
    expect(state.changedFacts.size).toBe(1);
  });

  it('rules switched off or out of scope find nothing', () => {
    const off = parsePolicy(
      'version: 1\nrules: []\ncustody:\n  unknown_provenance: off\n  use_after_delete: { severity: low, tenants: [globex] }\n',
    ).custody;
    const state = new CustodyState();
    state.apply(event('DELETE', RAW), 0);
    expect(state.check(event('ACCESS', GHOST), off)).toEqual([]);
    expect(state.check(event('ACCESS', RAW), off)).toEqual([]);
  });

  it('keys items by their wire form, bars included: deletions and facts split back into tenant, item, name', () => {
    // A digest full of '|' (0x7c) and the other bytes a key could be confused by.
    const barred = makeImprint(
      'sha256',
      Uint8Array.from({ length: 32 }, (_, i) => [0x7c, 0x00, 0xff, 0x7c][i % 4] as number),
    );
    const state = new CustodyState();
    state.apply(event('STATE', barred, { attributes: [{ key: 'fact.readers', value: 'a' }] }), 1);
    state.apply(event('DELETE', barred), 2);
    expect(state.fact('acme', barred, 'readers')).toBe('a');
    const [fact] = [...state.changedFacts];
    const [deletion] = [...state.changedDeletions];
    const [tenant, item, name] = splitFactKey(fact as string);
    expect([tenant, name]).toEqual(['acme', 'readers']);
    expect([...keyBytes(item)]).toEqual([...encodeImprint(barred)]);
    const [deletedBy, deleted] = splitDeletionKey(deletion as string);
    expect(deletedBy).toBe('acme');
    expect([...keyBytes(deleted)]).toEqual([...encodeImprint(barred)]);
    expect([...state.changedItems].map((key) => [...keyBytes(key)])).toEqual([[...encodeImprint(barred)]]);
    // Loaded from stored bytes, the same item is the same key.
    const loaded = new CustodyState();
    loaded.loadFact('acme', encodeImprint(barred), 'readers', 'b');
    expect(loaded.fact('acme', barred, 'readers')).toBe('b');
  });
});
