import { type ChannelCredentials, type ClientOptions, Metadata, type ServiceError } from '@grpc/grpc-js';
import { type eventV1, ingestV1 } from '@msi/proto';

/** How the client submits batches: gRPC SubmitBatch in production, anything in unit tests. */
export interface IngestTransport {
  /**
   * One SubmitBatch call with a deadline. Resolves with one ack per event in order; rejects with an
   * error carrying the gRPC `code` and `details` (a ServiceError).
   */
  submitBatch(
    events: readonly eventV1.DataEvent[],
    deadlineMs: number,
  ): Promise<readonly ingestV1.EventAck[]>;
  close(): void;
}

/** A failed call's status, as judged by retry-policy.ts. */
export interface CallFailure {
  readonly code: number;
  readonly details: string;
}

/** The status of a rejected call (a ServiceError, or anything else: UNKNOWN). */
export function callFailureOf(error: unknown): CallFailure {
  const e = error as Partial<ServiceError> | undefined;
  return {
    code: typeof e?.code === 'number' ? e.code : 2,
    details: typeof e?.details === 'string' ? e.details : String(error),
  };
}

/** The gRPC IngestService transport over one channel. */
export function grpcIngestTransport(
  address: string,
  credentials: ChannelCredentials,
  options: Partial<ClientOptions>,
  apiKey: string | undefined,
): IngestTransport {
  const client = new ingestV1.IngestServiceClient(address, credentials, options);
  const metadata = new Metadata();
  if (apiKey !== undefined) metadata.set('authorization', `Bearer ${apiKey}`);
  return {
    submitBatch: (events, deadlineMs) =>
      new Promise((resolve, reject) => {
        client.submitBatch(
          { events: events as eventV1.DataEvent[] },
          metadata.clone(),
          { deadline: Date.now() + deadlineMs },
          (error, response) => {
            if (error !== null || response === undefined) reject(error ?? new Error('no response'));
            else resolve(response.acks);
          },
        );
      }),
    close: () => client.close(),
  };
}
