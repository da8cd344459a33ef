// The fuzz suite, small and bounded (the large run is `npx pnpm fuzz`, src/fuzz/fuzz-command.ts):
// hostile calls of every RPC of ingest, the verifier and the alerter — encodings of hostile values,
// their mutations and random bytes, sent as raw bytes, with and without the API keys of two
// tenants — against the pipeline as processes. No process may die, no answer may be INTERNAL or
// UNKNOWN, every refusal names its field, and no tenant is shown another's data.

import { status } from '@grpc/grpc-js';
import { verifierV1 } from '@msi/proto';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  type FreshDatabase,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_RPCS, fuzzInputs } from './fuzz/fuzz-inputs.js';
import { judge } from './fuzz/fuzz-oracle.js';
import { FUZZ_KEYS, type FuzzWorld, startFuzzWorld } from './fuzz/fuzz-world.js';
import { describeStats, emptyStats, FuzzClients, fuzzOne } from './fuzz/run-fuzz.js';

const prefix = uniquePrefix();
/** Calls sent together (one property run); the runs: 100 × 8 = 800 hostile calls. */
const BATCH = 8;
const RUNS = 100;
let database: FreshDatabase;
let world: FuzzWorld;

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'fuzz');
  world = await startFuzzWorld({ root: repositoryRoot(), natsUrl, databaseUrl: database.url, prefix });
}, 120_000);

afterAll(async () => {
  await world?.stop();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
}, 60_000);

describe('fuzzing ingest, the verifier and the alerter with hostile calls', () => {
  it('kills no process, answers nothing INTERNAL or UNKNOWN, names every refused field, keeps tenants apart', async () => {
    const stats = emptyStats();
    const started = performance.now();
    const clients = new FuzzClients(world);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fuzzInputs(world.seeded), { minLength: BATCH, maxLength: BATCH }),
          async (batch) => {
            const violations = await Promise.all(batch.map((input) => fuzzOne(clients, input, stats)));
            expect(violations.filter((v) => v !== undefined)).toEqual([]);
            expect(world.deadProcesses()).toEqual([]);
          },
        ),
        { numRuns: RUNS },
      );
    } finally {
      clients.close();
      stats.seconds = (performance.now() - started) / 1000;
      process.stdout.write(`${describeStats(stats)}\n`);
    }
    expect(stats.inputs).toBeGreaterThanOrEqual(BATCH * RUNS);
  }, 150_000);

  it("has an oracle that sees a breach: acme's receipt shown to globex, a refusal without its field", () => {
    const globex = FUZZ_KEYS[1]?.key;
    const input = { rpc: FUZZ_RPCS.getReceipt, key: globex, bodies: [], origin: 'encoded' as const };
    const shown = Buffer.from(
      verifierV1.GetReceiptResponse.encode({ receipt: world.seeded.receipt, receiptJson: '' }).finish(),
    );
    expect(judge(input, { code: status.OK, details: '', messages: [shown] })?.kind).toBe('isolation');
    expect(judge(input, { code: status.INVALID_ARGUMENT, details: 'bad key', messages: [] })?.kind).toBe(
      'unnamed',
    );
    expect(judge({ ...input, key: undefined }, { code: status.OK, details: '', messages: [] })?.kind).toBe(
      'auth-bypass',
    );
    expect(judge(input, { code: status.INTERNAL, details: 'internal error', messages: [] })?.kind).toBe(
      'internal',
    );
  });
});
