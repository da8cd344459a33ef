import type { ReceiptCheck } from './receipt-check.js';
import type { VerifyJob } from './verify-worker.js';

/** Below this many receipts one worker is enough. */
const PER_WORKER_MIN = 64;

/**
 * Verifies receipts in parallel Web Workers (one per core, at most 4), each with its own checker
 * built from the same pinned keys; the checks come back in the receipts' order.
 */
export async function verifyInWorkers(
  receipts: readonly string[],
  trustText: string,
  quorum: number,
): Promise<ReceiptCheck[]> {
  if (receipts.length === 0) return [];
  const cores = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
  const workers = Math.max(1, Math.min(cores, Math.ceil(receipts.length / PER_WORKER_MIN)));
  const share = Math.ceil(receipts.length / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      runJob({ trustText, quorum, receipts: receipts.slice(i * share, (i + 1) * share) }),
    ),
  );
  return parts.flat();
}

function runJob(job: VerifyJob): Promise<ReceiptCheck[]> {
  const worker = new Worker(new URL('./verify-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<ReceiptCheck[]>((resolve, reject) => {
    worker.onmessage = (message: MessageEvent<ReceiptCheck[]>) => {
      worker.terminate();
      resolve(message.data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`receipt verification worker failed: ${event.message}`));
    };
    worker.postMessage(job);
  });
}
