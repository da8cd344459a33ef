import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { verifierV1 } from '@msi/proto';
import type { ServerConnection } from './config.js';
import { channelOf, serviceFailure } from './grpc-channel.js';

/** A connected verifier client; every call maps gRPC failures to CliError. */
export interface VerifierSession {
  getReceipt(
    request: verifierV1.GetReceiptRequest,
    timeoutMs: number,
  ): Promise<verifierV1.GetReceiptResponse>;
  getHistory(request: verifierV1.GetHistoryRequest): Promise<verifierV1.GetHistoryResponse>;
  /** The checkpoint of `size` (0: the newest); with `cosigned`, only one carrying witness cosignatures. */
  getCheckpoint(size: number, cosigned?: boolean): Promise<verifierV1.GetCheckpointResponse>;
  getConsistencyProof(oldSize: number, newSize: number): Promise<verifierV1.GetConsistencyProofResponse>;
  searchByActor(request: verifierV1.SearchByActorRequest): Promise<verifierV1.SearchByActorResponse>;
  getLineage(request: verifierV1.GetLineageRequest): Promise<verifierV1.GetLineageResponse>;
  getWitnessStatus(): Promise<verifierV1.GetWitnessStatusResponse>;
  listPublications(request: verifierV1.ListPublicationsRequest): Promise<verifierV1.ListPublicationsResponse>;
  close(): void;
}

/** How long a call without --wait may take. */
const CALL_TIMEOUT_MS = 30_000;

type Callback<T> = (error: ServiceError | null, response: T) => void;

export async function openVerifierSession(connection: ServerConnection): Promise<VerifierSession> {
  const { credentials, options } = await channelOf(connection);
  const client = new verifierV1.VerifierServiceClient(connection.address, credentials, options);
  const call = <T>(timeoutMs: number, start: (deadline: { deadline: Date }, done: Callback<T>) => void) =>
    new Promise<T>((resolve, reject) => {
      start({ deadline: new Date(Date.now() + timeoutMs) }, (error, response) => {
        if (error !== null) reject(serviceFailure(error, 'the verifier', connection.address));
        else resolve(response);
      });
    });
  return {
    getReceipt: (request, timeoutMs) =>
      call(timeoutMs, (options, done) => client.getReceipt(request, new Metadata(), options, done)),
    getHistory: (request) =>
      call(CALL_TIMEOUT_MS, (options, done) => client.getHistory(request, new Metadata(), options, done)),
    getCheckpoint: (size, cosigned = false) =>
      call(CALL_TIMEOUT_MS, (options, done) =>
        client.getCheckpoint({ size: BigInt(size), cosigned }, new Metadata(), options, done),
      ),
    getConsistencyProof: (oldSize, newSize) =>
      call(CALL_TIMEOUT_MS, (options, done) =>
        client.getConsistencyProof(
          { oldSize: BigInt(oldSize), newSize: BigInt(newSize) },
          new Metadata(),
          options,
          done,
        ),
      ),
    searchByActor: (request) =>
      call(CALL_TIMEOUT_MS, (options, done) => client.searchByActor(request, new Metadata(), options, done)),
    getLineage: (request) =>
      call(CALL_TIMEOUT_MS, (options, done) => client.getLineage(request, new Metadata(), options, done)),
    getWitnessStatus: () =>
      call(CALL_TIMEOUT_MS, (options, done) => client.getWitnessStatus({}, new Metadata(), options, done)),
    listPublications: (request) =>
      call(CALL_TIMEOUT_MS, (options, done) =>
        client.listPublications(request, new Metadata(), options, done),
      ),
    close: () => client.close(),
  };
}
