import { portableHasher } from '@msi/merkle';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbEvent, RFC_UUID, sampleEvent, thrown } from '../event/event-samples.test-helper.js';
import { type DataEvent, EventError, encodeEvent } from '../event/index.js';
import { AggregateTemplate, TEMPLATE_ENTROPY_BYTES } from './aggregate-template.js';
import type { AggregatedEvent } from './aggregated-event.js';
import { aggregatedLeafHash, decodeAggregatedEvent } from './decode-aggregated-event.js';
import {
  aggregatedEventSize,
  encodeAggregatedEvent,
  MAX_AGGREGATED_EVENT_SIZE,
  writeAggregatedEvent,
} from './write-aggregated-event.js';

const hasher = portableHasher();

/** The aggregated form of an event: its client fields (tenant, submitter, received_at dropped). */
function claims(event: DataEvent): AggregatedEvent {
  const { tenant: _t, submitter: _s, receivedAt: _r, ...rest } = event;
  return rest;
}

/**
 * Aggregated event v1 bytes derived from canonical event v1 bytes by the tables of docs/PROOFS.md §4
 * and §12: magic MSIA, and tenant, submitter and received_at left out. An independent statement of
 * the format that the writer must agree with.
 */
function fromCanonicalV1(event: DataEvent): Uint8Array {
  const v1 = encodeEvent(event);
  const enc = new TextEncoder();
  const str = (s: string) => 2 + enc.encode(s).length;
  const tenantEnd = 5 + str(event.tenant);
  const beforeSubmitter = v1.length - rest(event) - str(event.submitter);
  return Uint8Array.from([
    ...enc.encode('MSIA'),
    1,
    ...v1.subarray(tenantEnd, beforeSubmitter),
    ...afterSubmitterWithoutReceivedAt(v1, event, beforeSubmitter + str(event.submitter)),
  ]);
  function rest(e: DataEvent): number {
    // bytes after submitter: source, destination, occurred_at, received_at, parents, attributes, nonce
    const endpoint = (p: DataEvent['source']) => str(p.system) + str(p.region) + str(p.host);
    const attributes = e.attributes.reduce((n, a) => n + str(a.key) + str(a.value), 2);
    return endpoint(e.source) + endpoint(e.destination) + 16 + 2 + 16 * e.parents.length + attributes + 16;
  }
}

function afterSubmitterWithoutReceivedAt(v1: Uint8Array, event: DataEvent, start: number): number[] {
  const enc = new TextEncoder();
  const str = (s: string) => 2 + enc.encode(s).length;
  const endpoint = (p: DataEvent['source']) => str(p.system) + str(p.region) + str(p.host);
  const occurredEnd = start + endpoint(event.source) + endpoint(event.destination) + 8;
  return [...v1.subarray(start, occurredEnd), ...v1.subarray(occurredEnd + 8)];
}

describe('aggregated event v1 (docs/PROOFS.md §12)', () => {
  it('is canonical event v1 with magic MSIA and without tenant, submitter and received_at', () => {
    const event = sampleEvent();
    expect(bytesToHex(encodeAggregatedEvent(claims(event)))).toBe(bytesToHex(fromCanonicalV1(event)));
  });

  it('property: the same bytes as derived from canonical event v1, for any valid event', () => {
    fc.assert(
      fc.property(
        arbEvent.filter((e) => !e.parents.some((p) => bytesToHex(p) === bytesToHex(e.eventId))),
        (event) => {
          expect(bytesToHex(encodeAggregatedEvent(claims(event)))).toBe(bytesToHex(fromCanonicalV1(event)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: decode ∘ encode is the identity (attributes sorted), and the size is exact', () => {
    fc.assert(
      fc.property(arbEvent, (event) => {
        const aggregated = claims(event);
        fc.pre(!aggregated.parents.some((p) => bytesToHex(p) === bytesToHex(aggregated.eventId)));
        const bytes = encodeAggregatedEvent(aggregated);
        expect(bytes.length).toBe(aggregatedEventSize(aggregated));
        const decoded = decodeAggregatedEvent(bytes);
        expect(bytesToHex(encodeAggregatedEvent(decoded))).toBe(bytesToHex(bytes));
        expect(decoded.attributes.map((a) => a.key)).toEqual(
          [...aggregated.attributes.map((a) => a.key)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('leaf hash is H(0x00 || bytes)', () => {
    const bytes = encodeAggregatedEvent(claims(sampleEvent()));
    expect(bytesToHex(aggregatedLeafHash(hasher, bytes))).toBe(
      bytesToHex(sha256(Uint8Array.of(0, ...bytes))),
    );
  });

  it('refuses canonical event v1 bytes (another magic), and v1 refuses it', () => {
    const v1 = encodeEvent(sampleEvent());
    expect(thrown(() => decodeAggregatedEvent(v1))).toMatchObject({
      code: 'EVENT_MALFORMED',
      field: 'magic',
    });
    const v2 = Uint8Array.from(encodeAggregatedEvent(claims(sampleEvent())));
    v2[4] = 2;
    expect(thrown(() => decodeAggregatedEvent(v2))).toMatchObject({
      code: 'EVENT_MALFORMED',
      field: 'version',
    });
  });

  it('refuses every truncation and trailing bytes', () => {
    const bytes = encodeAggregatedEvent(claims(sampleEvent()));
    for (let n = 0; n < bytes.length; n++) {
      expect(thrown(() => decodeAggregatedEvent(bytes.subarray(0, n)))).toBeInstanceOf(EventError);
    }
    expect(thrown(() => decodeAggregatedEvent(Uint8Array.of(...bytes, 0)))).toMatchObject({
      code: 'EVENT_MALFORMED',
    });
  });

  it('names the field of a broken rule, and refuses an event that follows from itself', () => {
    expect(thrown(() => encodeAggregatedEvent(claims(sampleEvent({ actor: '' }))))).toMatchObject({
      code: 'LENGTH_INVALID',
      field: 'actor',
    });
    expect(thrown(() => encodeAggregatedEvent(claims(sampleEvent({ parents: [RFC_UUID] }))))).toMatchObject({
      code: 'DUPLICATE',
      field: 'parents[0]',
    });
    expect(thrown(() => encodeAggregatedEvent(claims(sampleEvent({ kind: 'STORE' }))))).toMatchObject({
      code: 'KIND_MISMATCH',
      field: 'inputs',
    });
  });

  it('MAX_AGGREGATED_EVENT_SIZE bounds every event the rules allow (the largest PROCESS, 64 bytes under it)', () => {
    const id = (i: number) => Uint8Array.of(0, 0, 0, 0, 0, i + 2, 0x70, i, 0x80, 0, 0, 0, 0, 0, 0, 0);
    const big = (n: number) => 'x'.repeat(n);
    const digest = { algorithm: 'sha512' as const, digest: new Uint8Array(64) };
    const endpoint = { system: big(256), region: big(256), host: big(256) };
    const largest: AggregatedEvent = {
      eventId: id(200),
      kind: 'PROCESS',
      data: digest,
      inputs: Array.from({ length: 64 }, () => digest),
      outputs: Array.from({ length: 64 }, () => digest),
      toTenant: '',
      actor: big(256),
      source: endpoint,
      destination: endpoint,
      occurredAt: 1,
      parents: Array.from({ length: 64 }, (_, i) => id(i)),
      attributes: Array.from({ length: 64 }, (_, i) => ({
        key: `${String(i).padStart(2, '0')}${big(62)}`,
        value: big(256),
      })),
      nonce: new Uint8Array(16),
    };
    // to_tenant (64 bytes) is a TRANSFER's and inputs/outputs a PROCESS's: the bound counts both
    expect(encodeAggregatedEvent(largest).length).toBe(MAX_AGGREGATED_EVENT_SIZE - 64);
  });

  it('writes into a buffer at an offset, or returns -1 without writing when it does not fit', () => {
    const event = claims(sampleEvent());
    const size = aggregatedEventSize(event);
    const target = new Uint8Array(size + 10);
    expect(writeAggregatedEvent(event, target, 10)).toBe(size + 10);
    expect(bytesToHex(target.subarray(10))).toBe(bytesToHex(encodeAggregatedEvent(event)));
    const small = new Uint8Array(size - 1);
    expect(writeAggregatedEvent(event, small, 0)).toBe(-1);
    expect(small.every((b) => b === 0)).toBe(true);
  });
});

describe('AggregateTemplate', () => {
  const fields = (e: AggregatedEvent) => {
    const { eventId: _i, data, occurredAt: _o, nonce: _n, ...rest } = e;
    return { ...rest, dataAlgorithm: data.algorithm };
  };

  it('property: writes the bytes of the whole event', () => {
    fc.assert(
      fc.property(
        arbEvent,
        fc.uint8Array({ minLength: TEMPLATE_ENTROPY_BYTES, maxLength: TEMPLATE_ENTROPY_BYTES }),
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        (event, entropy, nowMs) => {
          const aggregated = claims(event);
          const template = AggregateTemplate.compile(fields(aggregated));
          const target = new Uint8Array(template.eventSize + 3);
          expect(
            template.write(target, 3, nowMs, entropy, 0, aggregated.data.digest, aggregated.occurredAt),
          ).toBe(target.length);
          const written = decodeAggregatedEvent(target.subarray(3));
          expect(written.nonce).toEqual(entropy.subarray(16));
          expect(bytesToHex(target.subarray(3))).toBe(
            bytesToHex(
              encodeAggregatedEvent({ ...aggregated, eventId: written.eventId, nonce: written.nonce }),
            ),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('checks the digest size and the time, and returns -1 when the event does not fit', () => {
    const template = AggregateTemplate.compile(fields(claims(sampleEvent())));
    const entropy = new Uint8Array(32);
    const target = new Uint8Array(template.eventSize);
    expect(thrown(() => template.write(target, 0, 1, entropy, 0, new Uint8Array(31), 1))).toMatchObject({
      code: 'IMPRINT_INVALID',
      field: 'data',
    });
    expect(thrown(() => template.write(target, 0, 1, entropy, 0, new Uint8Array(32), 0))).toMatchObject({
      code: 'TIME_INVALID',
      field: 'occurred_at',
    });
    expect(template.write(target, 1, 1, entropy, 0, new Uint8Array(32), 1)).toBe(-1);
  });
});
