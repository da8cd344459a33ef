import { credentials, Metadata } from '@grpc/grpc-js';
import { ingestV1 } from '@msi/proto';

/** A plaintext ingest client that sends `authorization: Bearer <apiKey>` on every call (tests, dev). */
export function ingestClient(address: string, apiKey: string) {
  const client = new ingestV1.IngestServiceClient(address, credentials.createInsecure());
  const metadata = () => {
    const m = new Metadata();
    m.set('authorization', `Bearer ${apiKey}`);
    return m;
  };
  return {
    client,
    submitBatch(
      events: ingestV1.SubmitBatchRequest['events'],
      timeoutMs = 10_000,
    ): Promise<ingestV1.SubmitBatchResponse> {
      return new Promise((resolve, reject) => {
        client.submitBatch({ events }, metadata(), { deadline: Date.now() + timeoutMs }, (error, response) =>
          error !== null || response === undefined ? reject(error) : resolve(response),
        );
      });
    },
    close: () => client.close(),
  };
}
