// TEST-ONLY: a VerifierService on a real gRPC server, answering from a CliWorld. It stands in for
// services/verifier so the CLI's client side (calls, errors, checks of the answers) is tested alone.
import {
  type Server as GrpcServer,
  Server,
  ServerCredentials,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { decodeEvent, formatUuid, type Receipt, receiptToJson } from '@msi/core';
import { verifierV1 } from '@msi/proto';
import { eventToProto, receiptToProto } from '@msi/wire';
import type { CliWorld } from './cli-world.test-helper.js';

export interface FakeVerifier {
  readonly address: string;
  /** API keys seen on calls. */
  readonly authorizations: string[];
  stop(): Promise<void>;
}

export interface FakeVerifierOptions {
  readonly world: CliWorld;
  /** Receipts served by GetReceipt and listed by GetHistory, in order. */
  readonly receipts: readonly Receipt[];
  /** Extra history entries appended on the last page (e.g. unanchored ones). */
  readonly extraEntries?: readonly verifierV1.HistoryEntry[];
  /** Entries per history page. */
  readonly pageSize?: number;
  /** The role each listed receipt's event plays. */
  readonly roleOf?: (i: number) => string;
}

const grpcError = (code: status, details: string): ServiceError =>
  Object.assign(new Error(details), { code, details, metadata: undefined as never });

export async function startFakeVerifier(options: FakeVerifierOptions): Promise<FakeVerifier> {
  const { world, receipts } = options;
  const authorizations: string[] = [];
  const byId = new Map(receipts.map((r) => [formatUuid(decodeEvent(r.event).eventId), r]));
  const entries: verifierV1.HistoryEntry[] = [
    ...receipts.map((r, i) =>
      verifierV1.HistoryEntry.fromPartial({
        event: eventToProto(decodeEvent(r.event)),
        round: BigInt(r.roundProof.leafIndex),
        anchored: true,
        receipt: receiptToProto(r),
        role: options.roleOf?.(i) ?? 'data',
      }),
    ),
    ...(options.extraEntries ?? []),
  ];
  const pageSize = options.pageSize ?? 1000;
  const server: GrpcServer = new Server();
  const implementation: verifierV1.VerifierServiceServer = {
    getReceipt(call, callback) {
      authorizations.push(String(call.metadata.get('authorization')[0] ?? ''));
      const receipt = byId.get(formatUuid(call.request.eventId));
      if (receipt === undefined) callback(grpcError(status.NOT_FOUND, 'no such event'), null);
      else callback(null, { receipt: receiptToProto(receipt), receiptJson: receiptToJson(receipt) });
    },
    getHistory(call, callback) {
      const start = call.request.pageToken === '' ? 0 : Number(call.request.pageToken);
      const end = start + pageSize;
      callback(null, {
        entries: entries.slice(start, end),
        links: [],
        nextPageToken: end < entries.length ? String(end) : '',
      });
    },
    verifyReceipt(_call, callback) {
      callback(grpcError(status.UNIMPLEMENTED, 'not here'), null);
    },
    getCheckpoint(_call, callback) {
      callback(null, { checkpoint: world.checkpointAt(world.rounds), size: BigInt(world.rounds) });
    },
    getConsistencyProof(call, callback) {
      const hashes = world.consistency(Number(call.request.oldSize), Number(call.request.newSize));
      callback(null, { hashes: hashes.map((h) => Buffer.from(h)) });
    },
    getRound(_call, callback) {
      callback(grpcError(status.UNIMPLEMENTED, 'not here'), null);
    },
    watchReceipts(call) {
      call.emit('error', grpcError(status.UNIMPLEMENTED, 'not here'));
    },
    searchByActor(_call, callback) {
      callback(grpcError(status.UNIMPLEMENTED, 'not here'), null);
    },
    getLineage(_call, callback) {
      callback(grpcError(status.UNIMPLEMENTED, 'not here'), null);
    },
    getWitnessStatus(_call, callback) {
      callback(grpcError(status.UNIMPLEMENTED, 'not here'), null);
    },
    listPublications(_call, callback) {
      callback(grpcError(status.UNIMPLEMENTED, 'not here'), null);
    },
  };
  server.addService(verifierV1.VerifierServiceService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    authorizations,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
