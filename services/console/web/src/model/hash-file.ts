import type { HashWorkerMessage } from './hash-worker.js';

/**
 * The SHA-256 imprint (`sha256:<hex>`) of a local file, computed in a Web Worker (hash-worker.ts)
 * that streams it; `onProgress` gets the bytes read so far. The file is never uploaded.
 */
export function hashFileInWorker(file: File, onProgress: (bytes: number) => void): Promise<string> {
  const worker = new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<string>((resolve, reject) => {
    worker.onmessage = (message: MessageEvent<HashWorkerMessage>) => {
      const data = message.data;
      if (data.type === 'progress') onProgress(data.bytes);
      else {
        worker.terminate();
        if (data.type === 'done') resolve(data.imprint);
        else reject(new Error(`cannot hash ${file.name}: ${data.message}`));
      }
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`cannot hash ${file.name}: ${event.message}`));
    };
    worker.postMessage(file);
  });
}
