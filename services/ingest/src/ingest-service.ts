import type { Metadata, sendUnaryData } from '@grpc/grpc-js';
import type { ingestV1 } from '@msi/proto';
import { spanContextOfMetadata, traced } from '@msi/service-kit';
import type { IngestCalls } from './ingest-calls.js';
import { IngestError, statusOf } from './ingest-error.js';
import { StreamSession, SUBMIT_STREAM } from './stream-session.js';

const SUBMIT = '/msi.ingest.v1.IngestService/Submit';
const SUBMIT_BATCH = '/msi.ingest.v1.IngestService/SubmitBatch';

/** The IngestService implementation for grpc-js (ingestV1.IngestServiceServer). */
export function ingestServiceImplementation(
  calls: IngestCalls,
  streamWindow: number,
  /** The most events a stream submits as one group of the requests of a turn (the batch limit). */
  streamGroupEvents = 1000,
): ingestV1.IngestServiceServer {
  return {
    submit(call, callback) {
      unary(calls, callback, traceOf(call.metadata, 'Submit', 1), async () => {
        const request = () => {
          const event = taken(call.request, 'event', undefined);
          if (event === undefined) throw new IngestError('INVALID_ARGUMENT', 'event', 'an event is required');
          return [event];
        };
        const [ack] = await calls.submitUnary(call, SUBMIT, request, 'event', () => 'event');
        return { ack };
      });
    },
    submitBatch(call, callback) {
      unary(calls, callback, traceOf(call.metadata, 'SubmitBatch', call.request.events.length), async () => {
        const acks = await calls.submitUnary(
          call,
          SUBMIT_BATCH,
          () => taken(call.request, 'events', []),
          'events',
          (i) => `events[${i}]`,
        );
        return { acks };
      });
    },
    submitStream(call) {
      let identity: ReturnType<IngestCalls['authorize']>;
      try {
        identity = calls.authorize(call, SUBMIT_STREAM);
      } catch (error: unknown) {
        const refused = asIngestError(calls, error);
        calls.deps.metrics.rejected.inc({ code: refused.code });
        call.emit('error', statusOf(refused));
        return;
      }
      new StreamSession(call, calls, identity, streamWindow, streamGroupEvents).start();
    },
  };
}

/**
 * `field` of the call's decoded request, taken out of it: grpc-js holds the request (on the call and
 * in its own listener) until the answer is sent, while ingest needs the events only until they are
 * validated and stamped (submitUnary). A decoded request of 1,000 events is ~1.5 MB of objects that
 * every young-generation GC meanwhile copied, then promoted: the largest share of what ingest
 * promoted (a sampling heap profile of objects that survived minor GCs, bench:pipeline).
 */
function taken<Request, Field extends keyof Request>(
  request: Request,
  field: Field,
  empty: Request[Field],
): Request[Field] {
  const value = request[field];
  request[field] = empty;
  return value;
}

/** A unary call's span: `ingest.<Method>`, continuing the client's trace when it sent one. */
interface CallTrace {
  readonly name: string;
  readonly metadata: Metadata;
  readonly method: string;
  readonly events: number;
}

const traceOf = (metadata: Metadata, method: string, events: number): CallTrace => ({
  name: `ingest.${method}`,
  metadata,
  method,
  events,
});

function unary<Response>(
  calls: IngestCalls,
  callback: sendUnaryData<Response>,
  call: CallTrace,
  work: () => Promise<Response>,
): void {
  traced(
    call.name,
    {
      kind: 'server',
      parent: spanContextOfMetadata(call.metadata),
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': 'msi.ingest.v1.IngestService',
        'rpc.method': call.method,
        'msi.events': call.events,
      },
    },
    work,
  ).then(
    (response) => callback(null, response),
    (error: unknown) => {
      const refused = asIngestError(calls, error);
      calls.deps.metrics.rejected.inc({ code: refused.code });
      callback(statusOf(refused));
    },
  );
}

function asIngestError(calls: IngestCalls, error: unknown): IngestError {
  if (error instanceof IngestError) return error;
  calls.deps.log.error('call failed', { error });
  return new IngestError('INTERNAL', undefined, 'internal error');
}
