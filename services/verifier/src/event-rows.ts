import { decodeEvent, encodeImprint, eventLeafHashes, kindCode } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { shardOfSubject } from '@msi/nats';
import { PackedColumn } from '@msi/postgres';
import { streamV1 } from '@msi/proto';
import type { PumpMessage } from '@msi/service-kit';

/** The events of a group of EventBatch messages as columns (one multi-row insert each). */
export interface EventRows {
  readonly seq: number[];
  readonly pos: number[];
  readonly shard: number[];
  readonly tenant: string[];
  readonly id: PackedColumn;
  readonly kind: number[];
  /** The data imprint (encoded), indexed on the row: custody history and lineage of TRANSFERs. */
  readonly data: PackedColumn;
  readonly to: string[];
  readonly received: number[];
  readonly canonical: PackedColumn;
  readonly leaf: PackedColumn;
  /** The actor and the submitter, indexed on the row (SearchByActor). */
  readonly actor: string[];
  readonly submitter: string[];
  /** Each event's input and output imprints (table `event_imprints`; the data imprint is on the row). */
  readonly imprints: {
    readonly imprint: PackedColumn;
    readonly role: string[];
    readonly seq: number[];
    readonly pos: number[];
    /** The event's received_at (µs), the imprint's order in GetHistory. */
    readonly received: number[];
  };
}

/** The actor and submitter of stored event rows, as columns (what the backfill fills in). */
export interface EventActors {
  readonly seq: number[];
  readonly pos: number[];
  readonly actor: string[];
  readonly submitter: string[];
}

/** No actors yet. */
export const emptyEventActors = (): EventActors => ({ seq: [], pos: [], actor: [], submitter: [] });

/** Adds the actor and submitter of the event at (seq, position). */
export function addEventActors(
  actors: EventActors,
  event: { readonly actor: string; readonly submitter: string },
  seq: number,
  position: number,
): void {
  actors.seq.push(seq);
  actors.pos.push(position);
  actors.actor.push(event.actor);
  actors.submitter.push(event.submitter);
}

/**
 * The rows of the events in `messages` (pure). A message that is not a version-1 EventBatch of the
 * shard of its subject, and an event that does not decode, contribute no row — and no leaf, as for
 * the aggregator, so a seal covering them still checks out.
 */
export function eventRowsOf(hasher: MerkleHasher, messages: readonly PumpMessage[]): EventRows {
  const rows: EventRows = {
    seq: [],
    pos: [],
    shard: [],
    tenant: [],
    id: new PackedColumn(),
    kind: [],
    data: new PackedColumn(),
    to: [],
    received: [],
    canonical: new PackedColumn(),
    leaf: new PackedColumn(),
    actor: [],
    submitter: [],
    imprints: { imprint: new PackedColumn(), role: [], seq: [], pos: [], received: [] },
  };
  const addImprint = (imprint: Uint8Array, role: string, seq: number, position: number, received: number) => {
    rows.imprints.imprint.push(imprint);
    rows.imprints.role.push(role);
    rows.imprints.seq.push(seq);
    rows.imprints.pos.push(position);
    rows.imprints.received.push(received);
  };
  const canonicals: Uint8Array[] = [];
  for (const m of messages) {
    let shard: number;
    let batch: streamV1.EventBatch;
    try {
      shard = shardOfSubject(m.subject);
      batch = streamV1.EventBatch.decode(m.data);
    } catch {
      continue;
    }
    if (batch.version !== 1 || batch.shard !== shard) continue;
    batch.events.forEach((bytes, position) => {
      let event: ReturnType<typeof decodeEvent>;
      try {
        event = decodeEvent(bytes);
      } catch {
        return;
      }
      const data = encodeImprint(event.data);
      rows.seq.push(m.seq);
      rows.pos.push(position);
      rows.shard.push(shard);
      rows.tenant.push(event.tenant);
      rows.id.push(event.eventId);
      rows.kind.push(kindCode(event.kind));
      rows.data.push(data);
      rows.to.push(event.toTenant);
      rows.received.push(event.receivedAt);
      rows.canonical.push(bytes);
      rows.actor.push(event.actor);
      rows.submitter.push(event.submitter);
      canonicals.push(bytes);
      for (const i of event.inputs) addImprint(encodeImprint(i), 'input', m.seq, position, event.receivedAt);
      for (const o of event.outputs)
        addImprint(encodeImprint(o), 'output', m.seq, position, event.receivedAt);
    });
  }
  // One batch call for the group's leaves (the verifier's hasher is the WASM SIMD kernel).
  const leaves = eventLeafHashes(hasher, canonicals);
  for (let i = 0; i < canonicals.length; i++) rows.leaf.push(leaves.subarray(i * 32, i * 32 + 32));
  return rows;
}
