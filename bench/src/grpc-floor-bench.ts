// The floor under any unary gRPC figure on this machine: `pnpm bench:grpc-floor [--clients N]
// [--seconds N] [--bytes N]`. A grpc-js server (its own process, so that its CPU is its own) answers
// every call with `--bytes` bytes and does nothing else; `--clients` concurrent callers over 4
// channels (as bench:receipts calls GetReceipt) call it for `--seconds`, first with grpc-js's client,
// then with a lean caller over node:http2 (lean-unary-caller.ts); then the lean caller against a server
// of node:http2 alone that answers the same bytes with gRPC's framing written by hand. Prints calls/s
// and the CPU each side spends per call: what GetReceipt costs before it reads or assembles anything,
// and how much of that is grpc-js.
import { fork } from 'node:child_process';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, credentials, Metadata, Server, ServerCredentials } from '@grpc/grpc-js';
import { formatRate, renderTable } from './harness.js';
import { LeanUnaryCaller } from './lean-unary-caller.js';

const METHOD = '/msi.bench.v1.Floor/Call';
const identity = (bytes: Buffer) => bytes;

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at > 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: a positive number, got ${value}`);
  return value;
}

/** The server side (a child process): answers every call with `bytes` bytes; reports its CPU on request. */
function serve(bytes: number): void {
  const answer = Buffer.alloc(bytes, 7);
  const server = new Server();
  server.addService(
    {
      Call: {
        path: METHOD,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    { Call: (_call: unknown, done: (error: null, answer: Buffer) => void) => done(null, answer) },
  );
  // The same answer from node:http2 alone, gRPC's framing and trailers written by hand: what of the
  // floor is HTTP/2 in Node.js and what is grpc-js.
  const framed = Buffer.alloc(5 + bytes, 7);
  framed[0] = 0;
  framed.writeUInt32BE(bytes, 1);
  const bare = createServer();
  bare.on('stream', (stream) => {
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(framed);
    });
  });
  server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
    if (error !== null) throw error;
    bare.listen(0, '127.0.0.1', () => {
      process.send?.({ port, barePort: (bare.address() as AddressInfo).port });
    });
  });
  process.on('message', (message: { cpu?: boolean }) => {
    if (message.cpu === true) {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuUs: user + system });
    }
  });
}

function ask<T>(child: ReturnType<typeof fork>, message: object, key: keyof T & string): Promise<T> {
  return new Promise((resolve) => {
    const on = (reply: T) => {
      if ((reply as Record<string, unknown>)[key] === undefined) return;
      child.off('message', on);
      resolve(reply);
    };
    child.on('message', on);
    child.send(message);
  });
}

async function main(): Promise<void> {
  const clients = flag('clients', 32);
  const seconds = flag('seconds', 10);
  const bytes = flag('bytes', 4000);
  const child = fork(fileURLToPath(import.meta.url), ['--serve', String(bytes)]);
  const { port, barePort } = await new Promise<{ port: number; barePort: number }>((resolve) =>
    child.once('message', resolve),
  );
  const request = Buffer.alloc(20, 1);
  const grpcChannels = Array.from(
    { length: 4 },
    () => new Client(`127.0.0.1:${port}`, credentials.createInsecure()),
  );
  const grpcCall = (c: number) =>
    new Promise<void>((resolve, reject) =>
      (grpcChannels[c % 4] as Client).makeUnaryRequest(
        METHOD,
        identity,
        identity,
        request,
        new Metadata(),
        {},
        (error) => (error === null ? resolve() : reject(error)),
      ),
    );
  const leanChannels = Array.from({ length: 4 }, () => new LeanUnaryCaller(`127.0.0.1:${port}`));
  const bareChannels = Array.from({ length: 4 }, () => new LeanUnaryCaller(`127.0.0.1:${barePort}`));
  const leanCall = (channels: LeanUnaryCaller[]) => async (c: number) => {
    const outcome = await (channels[c % 4] as LeanUnaryCaller).call(METHOD, request);
    if (!outcome.ok) throw new Error(outcome.error);
  };
  const rows: Record<string, string | number>[] = [];
  const lean = 'node:http2 (lean-unary-caller.ts)';
  for (const [server, callers, call] of [
    ['grpc-js', 'grpc-js', grpcCall],
    ['grpc-js', lean, leanCall(leanChannels)],
    ['node:http2 alone', lean, leanCall(bareChannels)],
  ] as const) {
    await Promise.all([0, 1, 2, 3].map(call)); // connected before the clock starts
    const serverBefore = (await ask<{ cpuUs: number }>(child, { cpu: true }, 'cpuUs')).cpuUs;
    const clientBefore = process.cpuUsage();
    let calls = 0;
    const started = performance.now();
    const end = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        while (performance.now() < end) {
          await call(c);
          calls += 1;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const client = process.cpuUsage(clientBefore);
    const serverUs = (await ask<{ cpuUs: number }>(child, { cpu: true }, 'cpuUs')).cpuUs - serverBefore;
    rows.push({
      server,
      callers,
      'calls/s': formatRate(calls / elapsed),
      'server CPU µs/call': Math.round(serverUs / calls),
      'callers CPU µs/call': Math.round((client.user + client.system) / calls),
    });
  }
  for (const channel of grpcChannels) channel.close();
  for (const channel of [...leanChannels, ...bareChannels]) channel.close();
  child.kill();
  console.log(
    `grpc-js unary floor — Node ${process.versions.node}: ${clients} callers over 4 channels, ${bytes}-byte answers, ${seconds} s each`,
  );
  console.log(renderTable(rows));
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt > 0) serve(Number(process.argv[serveAt + 1]));
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
