// TEST-ONLY: sample events and fast-check arbitraries of valid events; never exported from index.ts.
import fc from 'fast-check';
import { HASH_ALGORITHMS, type HashAlgorithm, type Imprint, imprintOf } from '../imprint/index.js';
import { mintUuidV7, parseUuidV7 } from '../uuid/index.js';
import type { Attribute, DataEvent, Endpoint, EventKind } from './data-event.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The UUIDv7 example of RFC 9562 Appendix A.6. */
export const RFC_UUID = parseUuidV7('017f22e2-79b0-7cc3-98c4-dc0c0c07398f');
/** Another valid UUIDv7. */
export const OTHER_UUID = mintUuidV7(1_748_736_000_000, new Uint8Array(16).fill(0xab));

/** A valid PROCESS event with every field set; tests derive failing events from it. */
export function sampleEvent(overrides: Partial<DataEvent> = {}): DataEvent {
  return {
    tenant: 'acme',
    eventId: RFC_UUID,
    kind: 'PROCESS',
    data: imprintOf('sha256', text('config')),
    inputs: [imprintOf('sha256', text('in-0')), imprintOf('sha512', text('in-1'))],
    outputs: [imprintOf('sha3-256', text('out-0'))],
    toTenant: '',
    actor: 'alice',
    submitter: 'svc-etl',
    source: { system: 'db', region: 'eu-west-1', host: 'db-1' },
    destination: { system: 'lake', region: 'eu-west-1', host: 'lake-1' },
    occurredAt: 1_748_736_000_000_000,
    receivedAt: 1_748_736_000_000_500,
    parents: [OTHER_UUID],
    attributes: [
      { key: 'job', value: 'etl-1' },
      { key: 'attempt', value: '2' },
      { key: 'Zone', value: 'a' },
    ],
    nonce: Uint8Array.from({ length: 16 }, (_, i) => i * 7),
    ...overrides,
  };
}

const ACCEPTED = HASH_ALGORITHMS.filter((a) => a.accepted);
const KINDS: readonly EventKind[] = ['TRANSFER', 'PROCESS', 'STORE', 'ACCESS', 'DELETE', 'STATE'];

export const arbTenant = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/);
export const arbUuidV7 = fc
  .tuple(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
  .map(([ms, random]) => mintUuidV7(ms, random));
export const arbImprint: fc.Arbitrary<Imprint> = fc
  .constantFrom(...ACCEPTED)
  .chain((a) =>
    fc
      .uint8Array({ minLength: a.digestSize, maxLength: a.digestSize })
      .map((digest) => ({ algorithm: a.name as HashAlgorithm, digest })),
  );
/** Any well-formed text (all of Unicode, no lone surrogates) of at most `maxLength` code points, no leading BOM. */
const arbText = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', minLength, maxLength }).filter((s) => s.charCodeAt(0) !== 0xfeff);
const arbEndpoint: fc.Arbitrary<Endpoint> = fc.record({
  system: arbText(0, 8),
  region: arbText(0, 8),
  host: arbText(0, 8),
});
const arbAttribute: fc.Arbitrary<Attribute> = fc.record({
  key: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
  value: arbText(0, 16),
});
const arbTime = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

/** Any valid event (small lists and strings, so that properties stay quick). */
export const arbEvent: fc.Arbitrary<DataEvent> = fc
  .record({
    tenant: arbTenant,
    eventId: arbUuidV7,
    kind: fc.constantFrom(...KINDS),
    data: arbImprint,
    inputs: fc.array(arbImprint, { minLength: 1, maxLength: 3 }),
    outputs: fc.array(arbImprint, { minLength: 1, maxLength: 3 }),
    toTenant: fc.option(arbTenant, { nil: '' }),
    actor: arbText(1, 12),
    submitter: arbText(1, 12),
    source: arbEndpoint,
    destination: arbEndpoint,
    occurredAt: arbTime,
    receivedAt: arbTime,
    parents: fc.uniqueArray(arbUuidV7, { maxLength: 3, selector: (id) => id.join() }),
    attributes: fc.uniqueArray(arbAttribute, { maxLength: 6, selector: (a) => a.key }),
    nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  })
  .map((e) => ({
    ...e,
    inputs: e.kind === 'PROCESS' ? e.inputs : [],
    outputs: e.kind === 'PROCESS' ? e.outputs : [],
    toTenant: e.kind === 'TRANSFER' ? e.toTenant : '',
  }));

/** The error an action throws (so tests can check its code and field), or undefined. */
export function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}
