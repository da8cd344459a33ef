// The baseline of the client benchmark: a minimal raw gRPC client of ingest, as an emitter would
// hand-write it without @msi/client — SubmitBatch with a fixed batch size and a fixed number of calls
// in flight, events built as plain proto objects, no retries, no validation, no backpressure.
import { credentials, Metadata } from '@grpc/grpc-js';
import { encodeImprint, imprintOf, mintUuidV7 } from '@msi/core';
import { type eventV1, ingestV1 } from '@msi/proto';

/** Durable events per second over `seconds` of SubmitBatch calls, `inFlight` at a time. */
export async function rawLoad(
  address: string,
  apiKey: string,
  seconds: number,
  options: { batch: number; inFlight: number },
): Promise<number> {
  const client = new ingestV1.IngestServiceClient(address, credentials.createInsecure());
  const metadata = () => {
    const m = new Metadata(); // one per call: a call takes over the metadata it is given
    m.set('authorization', `Bearer ${apiKey}`);
    return m;
  };
  const data = Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode('individual'))));
  const random = new Uint8Array(16);
  const event = (): eventV1.DataEvent => ({
    tenant: '',
    eventId: Buffer.from(mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(random))),
    kind: 3,
    data,
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'loadgen',
    submitter: '',
    source: { system: '', region: '', host: '' },
    destination: { system: '', region: '', host: '' },
    occurredAtUs: BigInt(Date.now() * 1000),
    receivedAtUs: 0n,
    parents: [],
    attributes: [{ key: 'n', value: '1' }],
    nonce: Buffer.alloc(0),
  });
  let failedCalls = 0;
  const submit = (events: eventV1.DataEvent[]) =>
    new Promise<number>((resolve) => {
      client.submitBatch({ events }, metadata(), { deadline: Date.now() + 30_000 }, (error, response) => {
        if (error !== null) failedCalls++;
        resolve(
          error === null ? (response?.acks.filter((a) => a.outcome?.$case === 'durable').length ?? 0) : 0,
        );
      });
    });
  let durable = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      while (performance.now() < until) {
        // (not `durable += await …`: that reads durable before the await and loses the other loops' counts)
        const acked = await submit(Array.from({ length: options.batch }, event));
        durable += acked;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  client.close();
  if (failedCalls > 0) console.log(`  raw client: ${failedCalls} SubmitBatch calls failed`);
  return durable / elapsed;
}
