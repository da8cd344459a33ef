import { type DataEvent, imprintOf, mintUuidV7 } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { buildLineage } from './lineage-graph.js';

const imprint = (text: string) => imprintOf('sha256', new TextEncoder().encode(text));
const nowhere = { system: '', region: '', host: '' };
let n = 0;
function event(fields: Partial<DataEvent> & Pick<DataEvent, 'kind' | 'data'>): DataEvent {
  n += 1;
  return {
    tenant: 'acme',
    eventId: mintUuidV7(1_764_000_000_000 + n, new Uint8Array(16).fill(n)),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'etl',
    submitter: 'gw',
    source: nowhere,
    destination: nowhere,
    occurredAt: 1,
    receivedAt: 2,
    parents: [],
    attributes: [],
    nonce: new Uint8Array(16),
    ...fields,
  };
}

describe('buildLineage', () => {
  //   raw@acme ──PROCESS──▶ clean@acme ──TRANSFER──▶ clean@globex sftp/us-east-1
  //   (STORE)                                    clean@globex (ACCESS)
  it('draws PROCESS inputs → outputs and a TRANSFER to another tenant, in layers', () => {
    const raw = imprint('raw');
    const clean = imprint('clean');
    const graph = buildLineage([
      event({ kind: 'STORE', data: raw }),
      event({ kind: 'PROCESS', data: clean, inputs: [raw], outputs: [clean] }),
      event({
        kind: 'TRANSFER',
        data: clean,
        toTenant: 'globex',
        actor: 'sftp',
        destination: { system: 'sftp', region: 'us-east-1', host: '' },
      }),
      event({ kind: 'ACCESS', data: clean, tenant: 'globex' }),
    ]);
    const byKey = new Map(
      graph.nodes.map((node) => [
        `${node.tenant} ${node.imprint.slice(7, 11)}${node.place === '' ? '' : ` ${node.place}`}`,
        node,
      ]),
    );
    const rawNode = byKey.get(`acme ${Buffer.from(raw.digest).toString('hex').slice(0, 4)}`);
    const cleanHex = Buffer.from(clean.digest).toString('hex').slice(0, 4);
    expect(rawNode).toMatchObject({ layer: 0, touches: 1 });
    expect(byKey.get(`acme ${cleanHex}`)).toMatchObject({ layer: 1, touches: 0 });
    expect(byKey.get(`globex ${cleanHex} sftp/us-east-1`)).toMatchObject({ layer: 2, touches: 0 });
    expect(byKey.get(`globex ${cleanHex}`)).toMatchObject({ touches: 1 }); // the ACCESS at globex
    expect(graph.edges.map((e) => [e.kind, e.label])).toEqual([
      ['PROCESS', 'etl'],
      ['TRANSFER', 'sftp → sftp/us-east-1'],
    ]);
    expect(graph.layers).toBe(3);
  });

  it('cuts a cycle instead of looping, and counts an event listed twice once', () => {
    const a = imprint('a');
    const b = imprint('b');
    const loop = event({ kind: 'PROCESS', data: b, inputs: [a], outputs: [b] });
    const back = event({ kind: 'PROCESS', data: a, inputs: [b], outputs: [a] });
    const graph = buildLineage([loop, loop, back]);
    expect(graph.nodes).toHaveLength(2);
    expect(graph.edges).toHaveLength(2);
  });
});
