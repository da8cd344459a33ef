// A load generator's unary gRPC caller over node:http2 directly: one HTTP/2 session per channel, a
// request is its HEADERS frame and one length-prefixed message, the answer is read from the DATA
// frames and checked against the trailers' grpc-status. No retries, no deadlines beyond a timer, no
// compression, no name resolution: what a benchmark needs to load a server without spending more CPU
// per call than the server does (grpc-js's client spent 272 µs per call against the server's 116 µs
// in bench:grpc-floor, 2026-12-06). Not a client for anything but a benchmark.
import { type ClientHttp2Session, connect, constants } from 'node:http2';

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_TE } = constants;

/** The outcome of one call: the answer's message bytes, or why there is none. */
export type LeanOutcome =
  | { readonly ok: true; readonly message: Buffer }
  | { readonly ok: false; readonly error: string };

export class LeanUnaryCaller {
  readonly #session: ClientHttp2Session;
  readonly #metadata: Readonly<Record<string, string>>;

  /** `address` is host:port (plaintext); `metadata` goes with every call (e.g. authorization). */
  constructor(address: string, metadata: Readonly<Record<string, string>> = {}) {
    this.#session = connect(`http://${address}`);
    this.#session.on('error', () => undefined); // each call reports its own failure
    this.#metadata = metadata;
  }

  /** Calls `path` with one message (its protobuf bytes); resolves with the answer, never rejects. */
  call(path: string, message: Uint8Array, timeoutMs = 10_000): Promise<LeanOutcome> {
    return new Promise((resolve) => {
      const frame = Buffer.allocUnsafe(5 + message.length);
      frame[0] = 0; // not compressed
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      const stream = this.#session.request({
        [HTTP2_HEADER_METHOD]: 'POST',
        [HTTP2_HEADER_PATH]: path,
        [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [HTTP2_HEADER_TE]: 'trailers',
        ...this.#metadata,
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let settled = false;
      const settle = (outcome: LeanOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        settle({ ok: false, error: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      stream.on('response', (headers) => {
        // A call refused before any message carries its status in the response headers.
        const early = headers['grpc-status'];
        if (early !== undefined) status = String(early);
      });
      stream.on('trailers', (trailers) => {
        status = String(trailers['grpc-status'] ?? '');
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => settle({ ok: false, error: error.message }));
      stream.on('close', () => {
        if (status !== '0') {
          settle({ ok: false, error: `grpc-status ${status ?? '(none)'}` });
          return;
        }
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5) {
          settle({ ok: false, error: `an answer of ${body.length} bytes is not one gRPC message` });
          return;
        }
        settle({ ok: true, message: body.subarray(5) });
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.#session.close();
  }
}
