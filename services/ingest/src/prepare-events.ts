import { type DataEvent, encodeValidatedEvent, encodeValidatedEvents, uuidV7Time } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import type { eventV1 } from '@msi/proto';
import { eventFromClient, WireError } from '@msi/wire';
import { claimKey } from './claim-index.js';
import { IngestError } from './ingest-error.js';
import { type Sha256Many, shardsOf } from './shard-of.js';

/** An accepted event, stamped and hashed, ready to be claimed and published. */
export interface PreparedEvent {
  /** The idempotency key: claimKey(tenant, event id). */
  readonly key: string;
  readonly tenant: string;
  readonly eventId: Uint8Array;
  /** The time in the event id (UUIDv7), ms since the epoch. */
  readonly idTimeMs: number;
  /** Canonical event v1 bytes (what the EventBatch carries and the leaf hash covers). */
  readonly canonical: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly shard: number;
  readonly receivedAtUs: number;
  readonly expectedRound: number;
}

/** A validated request: its distinct events, and for every event of the request which one it is. */
export interface PreparedRequest {
  /** Distinct event ids, in order of first occurrence. */
  readonly events: readonly PreparedEvent[];
  /** slots[i] is the index in `events` of the request's i-th event (repeats share one). */
  readonly slots: readonly number[];
}

/** What stamping and checking a request needs; everything comes from outside (time included). */
export interface StampContext {
  readonly tenant: string;
  readonly principal: string;
  /** Ingest's clock for this request, µs since the epoch. */
  readonly receivedAtUs: number;
  /** `count` × 16 random bytes. */
  readonly randomNonces: (count: number) => Uint8Array;
  readonly hasher: MerkleHasher;
  /** SHA-256 of many messages at once (the shard rule's hash: shardsOf). */
  readonly sha256Many: Sha256Many;
  readonly shards: number;
  readonly maxSkewMs: number;
  readonly maxAgeMs: number;
  readonly maxBatch: number;
  readonly expectedRound: number;
}

const NONCE_SIZE = 16;
/** The placeholder of a leaf hash until the request's hashes are computed together. */
const NO_HASH_YET = new Uint8Array(0);

/**
 * Validates every event of one request (hostile input) and stamps the valid ones: all or nothing.
 * Throws IngestError naming the first bad field as `<itemPath(i)>.<field>`: INVALID_ARGUMENT,
 * PERMISSION_DENIED (another tenant), RESOURCE_EXHAUSTED (more than maxBatch events). A repeated
 * event id is one event (its acks are shared) when the repeat has the same content; a repeat with
 * other content is INVALID_ARGUMENT naming the repeat's event_id.
 */
export function prepareEvents(
  messages: readonly eventV1.DataEvent[],
  listPath: string,
  itemPath: (index: number) => string,
  context: StampContext,
): PreparedRequest {
  return hashStamped([stampEvents(messages, listPath, itemPath, context)], context)[0] as PreparedRequest;
}

/** A request validated and stamped (prepareEvents' first step): its leaf hashes and shards are still to come. */
export interface StampedRequest extends PreparedRequest {
  /** The data imprint of each of `events` (algorithm id || digest, validated): what its shard is of. */
  readonly dataImprints: readonly Uint8Array[];
}

/**
 * prepareEvents without the hashing: validates and stamps one request (throwing as prepareEvents
 * does), leaving each event's leaf hash and shard to hashStamped, which takes those of several
 * requests in one call of the batch kernels (a stream of one-event messages).
 */
export function stampEvents(
  messages: readonly eventV1.DataEvent[],
  listPath: string,
  itemPath: (index: number) => string,
  context: StampContext,
): StampedRequest {
  if (messages.length === 0)
    throw new IngestError('INVALID_ARGUMENT', listPath, 'at least one event is required');
  if (messages.length > context.maxBatch) {
    throw new IngestError(
      'RESOURCE_EXHAUSTED',
      listPath,
      `${messages.length} events in one request, at most ${context.maxBatch}`,
    );
  }
  const nonces = context.randomNonces(messages.length);
  const stamp = { tenant: context.tenant, submitter: context.principal, receivedAt: context.receivedAtUs };
  const latestUs = context.receivedAtUs + context.maxSkewMs * 1000;
  const earliestUs = context.receivedAtUs - context.maxAgeMs * 1000;
  const distinct: DataEvent[] = [];
  const keys: string[] = [];
  const firstOf = new Map<string, number>();
  const slots: number[] = [];
  const dataImprints: Uint8Array[] = [];
  messages.forEach((message, i) => {
    const path = itemPath(i);
    const nonce = nonces.subarray(i * NONCE_SIZE, (i + 1) * NONCE_SIZE);
    // A literal of the stamp's fields, not `{ ...stamp, nonce }`: that spread was a third of this
    // loop's time and much of ingest's garbage (a CPU profile of 1,000-event requests).
    const event = narrow(
      message,
      { tenant: stamp.tenant, submitter: stamp.submitter, receivedAt: stamp.receivedAt, nonce },
      path,
    );
    if (event.occurredAt > latestUs) {
      throw new IngestError(
        'INVALID_ARGUMENT',
        `${path}.occurred_at_us`,
        `occurred_at_us is more than ${context.maxSkewMs} ms in the future of ingest's clock`,
      );
    }
    if (event.occurredAt < earliestUs) {
      throw new IngestError(
        'INVALID_ARGUMENT',
        `${path}.occurred_at_us`,
        `occurred_at_us is older than ${context.maxAgeMs} ms`,
      );
    }
    const key = claimKey(context.tenant, event.eventId);
    const first = firstOf.get(key);
    if (first !== undefined) {
      // A repeat (rare): the same event as the first but for the nonce ingest drew for each.
      const earlier = distinct[first] as DataEvent;
      const same = Buffer.from(encodeValidatedEvent({ ...event, nonce: earlier.nonce })).equals(
        encodeValidatedEvent(earlier),
      );
      if (!same) {
        throw new IngestError(
          'INVALID_ARGUMENT',
          `${path}.event_id`,
          'repeats an event id of this request with other content',
        );
      }
      slots.push(first);
      return;
    }
    firstOf.set(key, distinct.length);
    slots.push(distinct.length);
    distinct.push(event);
    keys.push(key);
    dataImprints.push(message.data);
  });
  // narrow() validated each event (eventFromClient runs validateEvent): encode without validating
  // again, all of the request's events into one buffer (one backing store, not one per event).
  const canonicals = encodeValidatedEvents(distinct);
  const events = distinct.map(
    (event, i): PreparedEvent => ({
      key: keys[i] as string,
      tenant: context.tenant,
      eventId: event.eventId,
      idTimeMs: uuidV7Time(event.eventId),
      canonical: canonicals[i] as Uint8Array,
      leafHash: NO_HASH_YET,
      shard: 0,
      receivedAtUs: context.receivedAtUs,
      expectedRound: context.expectedRound,
    }),
  );
  return { events, slots, dataImprints };
}

/**
 * Fills in the leaf hash and the shard of every event of `requests` (stamped by stampEvents for
 * `context`'s tenant), all in one call of each batch kernel (WASM SIMD in main.ts), and returns
 * the requests prepared. Each event object is made once and completed here (a copy per event was a
 * share of GC).
 */
export function hashStamped(requests: readonly StampedRequest[], context: StampContext): PreparedRequest[] {
  const events: PreparedEvent[] = [];
  const dataImprints: Uint8Array[] = [];
  for (const request of requests) {
    for (const event of request.events) events.push(event);
    for (const imprint of request.dataImprints) dataImprints.push(imprint);
  }
  const leafHashes = context.hasher.hashLeaves(events.map((event) => event.canonical));
  const shards = shardsOf(context.tenant, dataImprints, context.shards, context.sha256Many);
  events.forEach((event, i) => {
    const unfinished = event as { -readonly [K in keyof PreparedEvent]: PreparedEvent[K] };
    unfinished.leafHash = leafHashes.subarray(32 * i, 32 * i + 32);
    unfinished.shard = shards[i] as number;
  });
  return requests.map(({ events, slots }) => ({ events, slots }));
}

function narrow(
  message: eventV1.DataEvent,
  stamp: Parameters<typeof eventFromClient>[1],
  path: string,
): DataEvent {
  try {
    return eventFromClient(message, stamp, path);
  } catch (error: unknown) {
    if (error instanceof WireError)
      throw new IngestError(error.code, error.field, error.message, { cause: error });
    throw error;
  }
}
