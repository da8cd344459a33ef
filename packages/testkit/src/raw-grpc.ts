import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';

/** How a call with a raw body ended: its status, and the raw messages answered. */
export interface RawAnswer {
  readonly code: status;
  readonly details: string;
  readonly messages: readonly Buffer[];
}

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * A gRPC client that sends bytes as they are (identity serializers): request bodies that no
 * encoder would write — not protobuf, strings that are not UTF-8, fields in the wrong wire type —
 * reach the server exactly, for tests of hostile input. Every call resolves (never rejects) with
 * its status; server streams are read until `maxMessages` or the deadline, then cancelled (OK once a
 * message came, else DEADLINE_EXCEEDED).
 */
export class RawGrpcClient {
  readonly #client: Client;

  constructor(address: string) {
    this.#client = new Client(address, credentials.createInsecure());
  }

  unary(path: string, body: Uint8Array, apiKey?: string, timeoutMs = 10_000): Promise<RawAnswer> {
    return new Promise((resolve) => {
      this.#client.makeUnaryRequest(
        path,
        identity,
        identity,
        Buffer.from(body),
        metadataOf(apiKey),
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, response?: Buffer) =>
          resolve(answerOf(error, response === undefined ? [] : [response])),
      );
    });
  }

  serverStream(
    path: string,
    body: Uint8Array,
    apiKey?: string,
    options: { maxMessages?: number; timeoutMs?: number } = {},
  ): Promise<RawAnswer> {
    const call = this.#client.makeServerStreamRequest(
      path,
      identity,
      identity,
      Buffer.from(body),
      metadataOf(apiKey),
      {
        deadline: Date.now() + (options.timeoutMs ?? 10_000),
      },
    );
    return collect(call, options.maxMessages ?? 1);
  }

  /** Writes `bodies` in order, half-closes, and collects the answers until the call ends. */
  bidiStream(
    path: string,
    bodies: readonly Uint8Array[],
    apiKey?: string,
    timeoutMs = 10_000,
  ): Promise<RawAnswer> {
    const call = this.#client.makeBidiStreamRequest(path, identity, identity, metadataOf(apiKey), {
      deadline: Date.now() + timeoutMs,
    });
    const answer = collect(call, Number.POSITIVE_INFINITY);
    for (const body of bodies) call.write(Buffer.from(body));
    call.end();
    return answer;
  }

  close(): void {
    this.#client.close();
  }
}

function collect(call: NodeJS.EventEmitter & { cancel(): void }, maxMessages: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const messages: Buffer[] = [];
    let done = false;
    const finish = (answer: RawAnswer) => {
      if (done) return;
      done = true;
      resolve(answer);
    };
    call.on('data', (message: Buffer) => {
      messages.push(message);
      if (messages.length >= maxMessages) {
        finish({ code: status.OK, details: '', messages });
        call.cancel();
      }
    });
    call.on('error', (error: ServiceError) => {
      // A stream we cancelled, or one that ran to its deadline after answering, ended well. One that
      // reached its deadline without a message did not answer: its code stays DEADLINE_EXCEEDED (a
      // slow refusal is not an OK).
      const quietEnd =
        (error.code === status.DEADLINE_EXCEEDED || error.code === status.CANCELLED) && messages.length > 0;
      finish(quietEnd ? { code: status.OK, details: '', messages } : answerOf(error, messages));
    });
    call.on('status', (s: { code: status; details: string }) => {
      if (s.code === status.OK) finish({ code: status.OK, details: s.details, messages });
    });
  });
}

function answerOf(error: ServiceError | null, messages: Buffer[]): RawAnswer {
  return error === null
    ? { code: status.OK, details: '', messages }
    : { code: error.code, details: error.details, messages };
}

function metadataOf(apiKey: string | undefined): Metadata {
  const metadata = new Metadata();
  if (apiKey !== undefined) metadata.set('authorization', `Bearer ${apiKey}`);
  return metadata;
}
