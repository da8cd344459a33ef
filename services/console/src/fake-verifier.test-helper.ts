// TEST-ONLY: a VerifierService on a real gRPC server whose unary calls answer from handlers the test
// gives, recording each request and its authorization. It stands in for services/verifier so the
// gateway's routes (fields, mapping, error statuses) are tested alone; console.e2e.test.ts runs
// them against the real verifier.
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceError,
  type status,
} from '@grpc/grpc-js';
import { verifierV1 } from '@msi/proto';

type Unary = 'getReceipt' | 'getHistory' | 'verifyReceipt' | 'getCheckpoint' | 'getConsistencyProof';
type Added = 'getRound' | 'searchByActor' | 'getLineage' | 'getWitnessStatus' | 'listPublications';
export type FakeMethod = Unary | Added;

/** A handler's answer: the response, or a gRPC status to fail with. */
export type FakeAnswer = object | { readonly fail: status; readonly details: string };
export type FakeHandler = (request: never) => FakeAnswer;

export interface FakeVerifier {
  readonly address: string;
  /** Every call made: method, request and the authorization metadata it carried. */
  readonly calls: { method: FakeMethod; request: unknown; authorization: string }[];
  stop(): Promise<void>;
}

const METHODS: readonly FakeMethod[] = [
  'getReceipt',
  'getHistory',
  'verifyReceipt',
  'getCheckpoint',
  'getConsistencyProof',
  'getRound',
  'searchByActor',
  'getLineage',
  'getWitnessStatus',
  'listPublications',
];

export async function startFakeVerifier(
  handlers: Partial<Record<FakeMethod, FakeHandler>>,
): Promise<FakeVerifier> {
  const calls: FakeVerifier['calls'] = [];
  const unary =
    (method: FakeMethod) =>
    (call: ServerUnaryCall<unknown, unknown>, callback: (e: ServiceError | null, r?: unknown) => void) => {
      calls.push({
        method,
        request: call.request,
        authorization: String(call.metadata.get('authorization')[0] ?? ''),
      });
      const handler = handlers[method];
      const answer: FakeAnswer =
        handler === undefined ? { fail: 12, details: 'not here' } : handler(call.request as never);
      if ('fail' in answer) {
        const error = Object.assign(new Error(answer.details), {
          code: answer.fail,
          details: answer.details,
          metadata: new Metadata(),
        });
        callback(error);
      } else callback(null, answer);
    };
  const implementation = Object.fromEntries(METHODS.map((m) => [m, unary(m)]));
  const server = new Server();
  server.addService(verifierV1.VerifierServiceService, {
    ...implementation,
    watchReceipts: (call: { destroy(error: Error): void }) => call.destroy(new Error('not here')),
  } as unknown as verifierV1.VerifierServiceServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
