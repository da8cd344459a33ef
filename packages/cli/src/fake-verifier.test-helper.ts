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
  /** GetLineage requests received. */
  readonly lineageRequests: verifierV1.GetLineageRequest[];
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
  /** GetLineage's answer (default: no hops). */
  readonly lineage?: verifierV1.GetLineageResponse;
  /** GetWitnessStatus's answer (default: none). */
  readonly witnesses?: verifierV1.GetWitnessStatusResponse;
  /** ListPublications' publications, newest first (paged by `pageSize`). */
  readonly publications?: readonly verifierV1.Publication[];
}

const grpcError = (code: status, details: string): ServiceError =>
  Object.assign(new Error(details), { code, details, metadata: undefined as never });

export async function startFakeVerifier(options: FakeVerifierOptions): Promise<FakeVerifier> {
  const { world, receipts } = options;
  const authorizations: string[] = [];
  const lineageRequests: verifierV1.GetLineageRequest[] = [];
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
  /** A page of `all` from the offset in `token`, with the next offset as the token. */
  const page = <T, R>(all: readonly T[], token: string, respond: (items: T[], next: string) => R): R => {
    const start = token === '' ? 0 : Number(token);
    const end = start + pageSize;
    return respond(all.slice(start, end), end < all.length ? String(end) : '');
  };
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
    searchByActor(call, callback) {
      // The history's entries naming the actor or submitter, newest first, with the role they play.
      const { actor } = call.request;
      const found = entries
        .filter((e) => e.event?.actor === actor || e.event?.submitter === actor)
        .map((e) => ({
          ...e,
          role: [e.event?.actor === actor ? 'actor' : '', e.event?.submitter === actor ? 'submitter' : '']
            .filter((r) => r !== '')
            .join(','),
        }))
        .reverse();
      callback(
        null,
        page(found, call.request.pageToken, (entries, nextPageToken) => ({ entries, nextPageToken })),
      );
    },
    getLineage(call, callback) {
      lineageRequests.push(call.request);
      callback(null, options.lineage ?? { hops: [], truncated: false });
    },
    getWitnessStatus(_call, callback) {
      callback(null, options.witnesses ?? { checkpointSize: BigInt(world.rounds), witnesses: [] });
    },
    listPublications(call, callback) {
      callback(
        null,
        page(options.publications ?? [], call.request.pageToken, (publications, nextPageToken) => ({
          publications,
          nextPageToken,
        })),
      );
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
    lineageRequests,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
