// TEST-ONLY: an ingest and a verifier in memory, behind the client's own transport ports (the
// integration test runs the real ones). The fake ingest stamps and "anchors" every durable event in
// a calendar of its own, signed by LOG_KEY, so the receipts it serves verify with the core.
import { status } from '@grpc/grpc-js';
import {
  assembleReceipt,
  closeRound,
  type DataEvent,
  encodeEvent,
  encodeRound,
  encodeSeal,
  eventLeafHash,
  formatVerifierKey,
  generateNoteKey,
  parseImprint,
  sealShard,
  signCheckpoint,
  verifierKeyOf,
} from '@msi/core';
import { MerkleTree, portableHasher } from '@msi/merkle';
import type { eventV1, ingestV1, verifierV1 } from '@msi/proto';
import { receiptAnchorToProto, receiptEventToProto, receiptToProto } from '@msi/wire';
import type { IngestTransport } from './ingest-transport.js';
import type { VerifierTransport } from './verifier-transport.js';

const hasher = portableHasher();
export const LOG_KEY = generateNoteKey('msi.test/calendar', new Uint8Array(32).fill(5));
export const LOG_VERIFIER_KEY = formatVerifierKey(verifierKeyOf(LOG_KEY.signer));

/** What the fake ingest does with a call: answer (default: every event durable) or fail. */
export type IngestBehaviour = (
  events: readonly eventV1.DataEvent[],
  call: number,
) =>
  | { fail: { code: number; details: string } }
  | { acks: ('durable' | 'failed' | 'conflict')[] }
  | undefined;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class FakeIngest implements IngestTransport {
  /** Every batch received, in order. */
  readonly batches: eventV1.DataEvent[][] = [];
  /** The events made durable, by id (stamped: tenant acme, submitter gw). */
  readonly durable = new Map<string, DataEvent>();
  behaviour: IngestBehaviour = () => undefined;
  #calls = 0;
  #clock = 1_764_000_000_000_000;

  async submitBatch(events: readonly eventV1.DataEvent[]): Promise<readonly ingestV1.EventAck[]> {
    await new Promise((resolve) => setImmediate(resolve));
    this.batches.push([...events]);
    const decided = this.behaviour(events, this.#calls++);
    if (decided !== undefined && 'fail' in decided) {
      throw Object.assign(new Error(decided.fail.details), decided.fail);
    }
    return events.map((e, i) => {
      if (decided?.acks[i] === 'failed') {
        return { eventId: e.eventId, outcome: { $case: 'failed', value: { code: 1, message: 'try again' } } };
      }
      if (decided?.acks[i] === 'conflict') {
        const value = { code: 4, message: 'this event id was claimed by an event with other content' };
        return { eventId: e.eventId, outcome: { $case: 'failed', value } };
      }
      const key = hex(e.eventId);
      const known = this.durable.get(key);
      const stamped = known ?? this.#stamp(e);
      this.durable.set(key, stamped);
      return {
        eventId: e.eventId,
        outcome: {
          $case: 'durable',
          value: {
            leafHash: Buffer.from(eventLeafHash(hasher, encodeEvent(stamped))),
            expectedRound: 1n,
            shard: 0,
            duplicate: known !== undefined,
            receivedAtUs: BigInt(stamped.receivedAt),
          },
        },
      } satisfies ingestV1.EventAck;
    });
  }

  close(): void {}

  #stamp(e: eventV1.DataEvent): DataEvent {
    this.#clock += 1000;
    const kinds = ['', 'TRANSFER', 'PROCESS', 'STORE', 'ACCESS', 'DELETE', 'STATE'] as const;
    return {
      tenant: 'acme',
      eventId: new Uint8Array(e.eventId),
      kind: kinds[e.kind] as DataEvent['kind'],
      data: parseImprint(e.data),
      inputs: e.inputs.map((i) => parseImprint(i)),
      outputs: e.outputs.map((o) => parseImprint(o)),
      toTenant: e.toTenant,
      actor: e.actor,
      submitter: 'gw',
      source: e.source ?? { system: '', region: '', host: '' },
      destination: e.destination ?? { system: '', region: '', host: '' },
      occurredAt: Number(e.occurredAtUs),
      receivedAt: this.#clock,
      parents: e.parents.map((p) => new Uint8Array(p)),
      attributes: e.attributes,
      nonce: new Uint8Array(16).fill(9),
    };
  }
}

/** Serves the receipt of every event the fake ingest made durable, anchored alone in round 0. */
export class FakeVerifier implements VerifierTransport {
  readonly streams: Uint8Array[][] = [];
  failNext: { code: number; details: string } | undefined;
  /**
   * 'shared': receipts share their anchors (what the client asks for), listed in reverse order so
   * that each index matters; 'whole': each receipt whole; 'bad-anchor': shared, indices off by one.
   */
  form: 'shared' | 'whole' | 'bad-anchor' = 'shared';

  constructor(private readonly ingest: FakeIngest) {}

  watchReceipts(eventIds: readonly Uint8Array[], onMessage: (m: verifierV1.WatchReceiptsResponse) => void) {
    this.streams.push([...eventIds]);
    const failure = this.failNext;
    this.failNext = undefined;
    const done = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (failure !== undefined) throw Object.assign(new Error(failure.details), failure);
      const whole = eventIds.flatMap((id) => {
        const event = this.ingest.durable.get(hex(id));
        return event === undefined ? [] : [{ eventId: Buffer.from(id), receipt: anchorAlone(event) }];
      });
      if (whole.length < eventIds.length) {
        throw Object.assign(new Error('not all durable'), { code: status.UNAVAILABLE, details: 'not yet' });
      }
      if (this.form === 'whole') {
        const receipts = whole.map(({ eventId, receipt }) => ({
          eventId,
          receipt: receiptToProto(receipt),
          anchor: 0,
        }));
        onMessage({ round: 0n, receipts, nextRound: 1n, anchors: [] });
        return;
      }
      const last = whole.length - 1;
      const shift = this.form === 'bad-anchor' ? 1 : 0;
      onMessage({
        round: 0n,
        receipts: whole.map(({ eventId, receipt }, i) => ({
          eventId,
          receipt: receiptEventToProto(receipt),
          anchor: last - i + shift,
        })),
        nextRound: 1n,
        anchors: whole.map((_, i) =>
          receiptAnchorToProto((whole[last - i] as (typeof whole)[number]).receipt),
        ),
      });
    })();
    return { done, cancel: () => {} };
  }

  close(): void {}
}

/** The receipt of `event` in a calendar of one round holding one seal of it alone. */
export function anchorAlone(event: DataEvent) {
  const bytes = encodeEvent(event);
  const sealed = sealShard(hasher, {
    shard: 0,
    sealNumber: 0,
    streamStart: 1,
    streamEnd: 2,
    leafHashes: eventLeafHash(hasher, bytes),
    maxReceivedAt: event.receivedAt,
  });
  const sealBytes = encodeSeal(sealed.record);
  const round = closeRound(hasher, {
    round: 0,
    closedAt: event.receivedAt + 1,
    intervalMs: 1000,
    sealsStart: 1,
    sealsEnd: 2,
    seals: [{ record: sealed.record, bytes: sealBytes }],
    previousClosedAt: null,
  });
  const roundBytes = encodeRound(round.record);
  const calendar = MerkleTree.fromLeaves(hasher, [roundBytes]);
  return assembleReceipt({
    event: bytes,
    eventProof: { leafIndex: 0, treeSize: 1, hashes: [] },
    seal: sealBytes,
    sealProof: { leafIndex: 0, treeSize: 1, hashes: [] },
    round: roundBytes,
    roundProof: { leafIndex: 0, treeSize: 1, hashes: [] },
    checkpoint: signCheckpoint(
      { origin: 'msi.test/calendar', size: 1, root: calendar.root(), extensions: [] },
      LOG_KEY.signer,
    ),
  });
}
