import { type ChannelCredentials, type ClientOptions, Metadata, type ServiceError } from '@grpc/grpc-js';
import { verifierV1 } from '@msi/proto';

/** One WatchReceipts stream: its messages go to `onMessage`; `done` settles when it ends. */
export interface ReceiptStream {
  /** Resolves when the server ends the stream (every id delivered); rejects with its status. */
  readonly done: Promise<void>;
  cancel(): void;
}

/** How the client receives receipts: the verifier's WatchReceipts, or anything in unit tests. */
export interface VerifierTransport {
  watchReceipts(
    eventIds: readonly Uint8Array[],
    onMessage: (message: verifierV1.WatchReceiptsResponse) => void,
  ): ReceiptStream;
  close(): void;
}

/** The gRPC VerifierService transport over one channel. */
export function grpcVerifierTransport(
  address: string,
  credentials: ChannelCredentials,
  options: Partial<ClientOptions>,
  apiKey: string | undefined,
): VerifierTransport {
  const client = new verifierV1.VerifierServiceClient(address, credentials, options);
  const metadata = new Metadata();
  if (apiKey !== undefined) metadata.set('authorization', `Bearer ${apiKey}`);
  return {
    watchReceipts(eventIds, onMessage) {
      const call = client.watchReceipts(
        // Shared anchors: the receipts of one seal carry its seal, round and checkpoint parts once.
        { eventIds: eventIds.map((id) => Buffer.from(id)), fromRound: 0n, sharedAnchors: true },
        metadata.clone(),
      );
      let cancelled = false;
      const done = new Promise<void>((resolve, reject) => {
        call.on('data', onMessage);
        call.on('error', (error: ServiceError) => (cancelled ? resolve() : reject(error)));
        call.on('end', () => resolve());
      });
      return {
        done,
        cancel: () => {
          cancelled = true;
          call.cancel();
        },
      };
    },
    close: () => client.close(),
  };
}
