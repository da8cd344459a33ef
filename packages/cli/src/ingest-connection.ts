import { Metadata } from '@grpc/grpc-js';
import { ingestV1 } from '@msi/proto';
import type { ServerConnection } from './config.js';
import { channelOf, serviceFailure } from './grpc-channel.js';

/** How long one SubmitBatch may take before the CLI gives up on the server. */
const CALL_TIMEOUT_MS = 30_000;

/** A connected ingest client that submits batches and maps gRPC failures to CliError. */
export interface IngestSession {
  submitBatch(events: ingestV1.SubmitBatchRequest['events']): Promise<ingestV1.EventAck[]>;
  close(): void;
}

export async function openIngestSession(connection: ServerConnection): Promise<IngestSession> {
  const { credentials, options } = await channelOf(connection);
  const client = new ingestV1.IngestServiceClient(connection.address, credentials, options);
  return {
    submitBatch: (events) =>
      new Promise((resolve, reject) => {
        const deadline = new Date(Date.now() + CALL_TIMEOUT_MS);
        client.submitBatch({ events }, new Metadata(), { deadline }, (error, response) => {
          if (error !== null) reject(serviceFailure(error, 'ingest', connection.address));
          else resolve(response.acks);
        });
      }),
    close: () => client.close(),
  };
}
