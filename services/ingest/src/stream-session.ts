import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ingestV1 } from '@msi/proto';
import { type Identity, isUndecodable, type UndecodableRequest } from '@msi/service-kit';
import type { GroupedRequest, IngestCalls } from './ingest-calls.js';
import { IngestError, statusOf } from './ingest-error.js';
import type { PreparedRequest } from './prepare-events.js';

interface Pending {
  readonly sequence: bigint;
  acks: ingestV1.EventAck[] | undefined;
}

export const SUBMIT_STREAM = '/msi.ingest.v1.IngestService/SubmitStream';

/**
 * One SubmitStream call. Requests must carry sequence 1, 2, 3, …; each is validated all-or-nothing,
 * admitted under the in-flight bound, and processed concurrently with the others. Answers are
 * cumulative and in order: a response settles requests from..through (every event's ack in order)
 * as soon as a prefix of the outstanding requests is settled, coalescing what settled meanwhile.
 *
 * Flow control: the first response (through = 0, no acks) grants `window` as credit; every response
 * grants `window` beyond its `through`. Reading is paused while `window` requests are unsettled or
 * while the in-flight bound has no room, so a client that ignores the credit is slowed by gRPC's own
 * flow control instead of growing ingest's memory. An invalid request ends the stream with its
 * status (INVALID_ARGUMENT naming `requests[<sequence>].events[i].<field>`, PERMISSION_DENIED, …)
 * after everything before it was acked.
 */
export class StreamSession {
  readonly #pending: Pending[] = [];
  /** Requests received in this I/O turn, not yet taken (#takeArrived). */
  #arrived: ingestV1.SubmitStreamRequest[] = [];
  #takeScheduled = false;
  #nextSequence = 1n;
  #admitting = 0;
  #failure: IngestError | undefined;
  #clientDone = false;
  #finished = false;
  #flushScheduled = false;

  readonly #call: ServerDuplexStream<ingestV1.SubmitStreamRequest, ingestV1.SubmitStreamResponse>;
  readonly #calls: IngestCalls;
  readonly #identity: Identity;
  readonly #window: number;
  readonly #maxGroupEvents: number;

  /** `maxGroupEvents`: the most events of a turn's requests submitted together (ingest's batch limit). */
  constructor(
    call: ServerDuplexStream<ingestV1.SubmitStreamRequest, ingestV1.SubmitStreamResponse>,
    calls: IngestCalls,
    identity: Identity,
    window: number,
    maxGroupEvents: number,
  ) {
    this.#call = call;
    this.#calls = calls;
    this.#identity = identity;
    this.#window = window;
    this.#maxGroupEvents = maxGroupEvents;
  }

  start(): void {
    this.#call.on('data', (request: ingestV1.SubmitStreamRequest | UndecodableRequest) => {
      if (!isUndecodable(request)) this.#receive(request);
      else if (this.#failure === undefined && !this.#finished) {
        // The requests before this one are answered first.
        while (this.#arrived.length > 0 && this.#failure === undefined) this.#takeArrived();
        if (this.#failure !== undefined) return;
        const path = `requests[${this.#nextSequence}]`;
        const refused = this.#calls.refuseUndecodable(this.#call, SUBMIT_STREAM, request, path);
        this.#failure = refused; // counted by refuseUndecodable
        this.#call.pause();
        this.#flush();
      }
    });
    this.#call.on('end', () => {
      this.#clientDone = true;
      this.#flush();
    });
    this.#call.on('error', () => this.#stop());
    this.#call.on('cancelled', () => this.#stop());
    this.#call.write({ through: 0n, from: 0n, acks: [], credit: this.#window });
  }

  /** Takes a request in; the requests that arrive in one I/O turn are prepared and processed together. */
  #receive(request: ingestV1.SubmitStreamRequest): void {
    if (this.#failure !== undefined || this.#finished) return;
    this.#arrived.push(request);
    this.#scheduleTake();
  }

  #scheduleTake(): void {
    if (this.#takeScheduled) return;
    this.#takeScheduled = true;
    setImmediate(() => {
      this.#takeScheduled = false;
      this.#takeArrived();
    });
  }

  /**
   * The requests that arrived since the last turn, as one group: each is checked and validated on
   * its own (all or nothing, in order; the first that fails ends the stream once those before it are
   * answered), and the valid ones are hashed, admitted and submitted to the pipeline together. For a
   * stream of one-event messages, that is one batch-kernel call, one admission and one submission
   * per turn instead of per message.
   */
  #takeArrived(): void {
    if (this.#arrived.length === 0) return;
    if (this.#failure !== undefined || this.#finished) {
      this.#arrived = [];
      this.#flush();
      return;
    }
    // A group holds at most `maxGroupEvents` events (a larger request is a group of its own), so that
    // what is admitted at once stays the size of a request; the rest is the next group's.
    let take = 0;
    let events = 0;
    for (const request of this.#arrived) {
      if (take > 0 && events + request.events.length > this.#maxGroupEvents) break;
      take += 1;
      events += request.events.length;
    }
    const arrived = this.#arrived.slice(0, take);
    this.#arrived = this.#arrived.slice(take);
    if (this.#arrived.length > 0) this.#scheduleTake();
    const group: GroupedRequest[] = [];
    const sequences: bigint[] = [];
    let failure: IngestError | undefined;
    for (const request of arrived) {
      const sequence = request.sequence;
      if (sequence !== this.#nextSequence) {
        failure = new IngestError(
          'INVALID_ARGUMENT',
          `requests[${sequence}].sequence`,
          `sequence ${sequence} where ${this.#nextSequence} was expected (1, 2, 3, … without gaps)`,
        );
        break;
      }
      this.#nextSequence += 1n;
      sequences.push(sequence);
      group.push({
        events: request.events,
        listPath: `requests[${sequence}].events`,
        itemPath: (i) => `requests[${sequence}].events[${i}]`,
      });
    }
    const { prepared, failure: invalid } = this.#calls.prepareGroup(
      this.#call,
      SUBMIT_STREAM,
      this.#identity,
      group,
    );
    if (invalid !== undefined) {
      failure =
        invalid instanceof IngestError
          ? invalid
          : new IngestError('INVALID_ARGUMENT', undefined, String(invalid));
    }
    if (prepared.length > 0) this.#submit(prepared, sequences);
    if (failure !== undefined) this.#fail(failure);
    else if (prepared.length === 0) this.#flush(); // the client may have ended meanwhile
  }

  /** Admits and processes prepared requests (sequences[i] is prepared[i]'s), settling each entry. */
  #submit(prepared: readonly PreparedRequest[], sequences: readonly bigint[]): void {
    const entries = prepared.map((_, i): Pending => ({ sequence: sequences[i] as bigint, acks: undefined }));
    this.#pending.push(...entries);
    let count = 0;
    for (const request of prepared) count += request.events.length;
    const admission = this.#calls.deps.admission;
    const admitted = admission.tryAcquire(count);
    if (!admitted) {
      this.#admitting += 1;
      this.#updateReading();
    }
    (admitted ? Promise.resolve() : admission.acquire(count))
      .then(() => {
        if (!admitted) {
          this.#admitting -= 1;
          this.#updateReading();
        }
        return this.#calls.processGroup(prepared, this.#calls.deadlineOf(this.#call));
      })
      .then(
        (acks) => {
          entries.forEach((entry, i) => {
            entry.acks = acks[i];
          });
        },
        (error: unknown) => {
          // The pipeline answers failures as failed acks; this is a bug. End the call at once.
          this.#calls.deps.log.error('stream request failed', { error });
          this.#abort(new IngestError('UNAVAILABLE', undefined, 'internal error while processing; retry'));
        },
      )
      .finally(() => {
        admission.release(count);
        this.#flush();
      });
    this.#updateReading();
  }

  #fail(error: IngestError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#arrived = []; // nothing after a failure is answered
    this.#calls.deps.metrics.rejected.inc({ code: error.code });
    this.#call.pause();
    this.#flush();
  }

  #abort(error: IngestError): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#call.emit('error', statusOf(error));
  }

  /** Sends what settled, in one response per tick; ends the call once nothing is left to answer. */
  #flush(): void {
    if (this.#flushScheduled || this.#finished) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#sendSettled();
    });
  }

  #sendSettled(): void {
    if (this.#finished) return;
    const acks: ingestV1.EventAck[] = [];
    let from: bigint | undefined;
    let through: bigint | undefined;
    while (this.#pending[0]?.acks !== undefined) {
      const entry = this.#pending.shift() as Pending;
      from ??= entry.sequence;
      through = entry.sequence;
      acks.push(...(entry.acks ?? []));
    }
    if (from !== undefined && through !== undefined) {
      this.#call.write({ through, from, acks, credit: this.#window });
    }
    this.#updateReading();
    // Requests received but not yet taken are answered first (their turn comes after this one).
    if (this.#pending.length > 0 || this.#arrived.length > 0) return;
    if (this.#failure !== undefined) {
      this.#finished = true;
      this.#call.emit('error', statusOf(this.#failure));
    } else if (this.#clientDone) {
      this.#finished = true;
      this.#call.end();
    }
  }

  #updateReading(): void {
    if (this.#finished || this.#failure !== undefined) return;
    if (this.#pending.length >= this.#window || this.#admitting > 0) this.#call.pause();
    else this.#call.resume();
  }

  #stop(): void {
    this.#finished = true;
  }
}
