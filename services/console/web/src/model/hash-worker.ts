/// <reference lib="webworker" />
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

// Hashes a dropped file here, in a worker, streaming: the file is read chunk by chunk and never
// leaves the browser; only its SHA-256 imprint is posted back.

export type HashWorkerMessage =
  | { readonly type: 'progress'; readonly bytes: number }
  | { readonly type: 'done'; readonly imprint: string; readonly bytes: number }
  | { readonly type: 'failed'; readonly message: string };

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (message: MessageEvent<File>) => {
  try {
    const hash = sha256.create();
    const reader = message.data.stream().getReader();
    let bytes = 0;
    let reported = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      bytes += value.length;
      if (bytes - reported >= 8 * 1024 * 1024) {
        reported = bytes;
        scope.postMessage({ type: 'progress', bytes } satisfies HashWorkerMessage);
      }
    }
    scope.postMessage({
      type: 'done',
      imprint: `sha256:${bytesToHex(hash.digest())}`,
      bytes,
    } satisfies HashWorkerMessage);
  } catch (error: unknown) {
    scope.postMessage({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
    } satisfies HashWorkerMessage);
  }
};
