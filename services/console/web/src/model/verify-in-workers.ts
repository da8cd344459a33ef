import type { ReceiptVerdict } from './receipt-check.js';
import type { VerifyAnswer, VerifyJob } from './verify-worker.js';

/** Below this many receipts one worker is enough. */
const PER_WORKER_MIN = 64;

interface Pool {
  readonly workers: readonly Worker[];
  readonly pending: Map<number, { resolve(v: readonly ReceiptVerdict[]): void; reject(e: Error): void }>;
}

let pool: Pool | undefined;
let nextId = 1;

/**
 * Starts the verification workers (one per core, at most 4) ahead of the first search: each loads
 * the verifier and warms it up on a bundled receipt (verify-worker.ts) while the auditor signs in.
 * They are kept for the page's life, so later searches start at once.
 */
export function startVerifyWorkers(): void {
  if (pool !== undefined) return;
  const cores = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
  const pending: Pool['pending'] = new Map();
  const workers = Array.from({ length: cores }, () => {
    const worker = new Worker(new URL('./verify-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (message: MessageEvent<VerifyAnswer>) => {
      const answer = message.data;
      const job = pending.get(answer.id);
      if (job === undefined) return;
      pending.delete(answer.id);
      if ('error' in answer) job.reject(new Error(`receipt verification failed: ${answer.error}`));
      else job.resolve(answer.verdicts);
    };
    worker.onerror = (event) => stopPool(new Error(`receipt verification worker failed: ${event.message}`));
    return worker;
  });
  pool = { workers, pending };
}

/**
 * Verifies receipts in the pool's workers, each share with a checker built from the same pinned
 * keys; the verdicts come back in the receipts' order. An empty text gets no verdict (undefined).
 */
export async function verifyInWorkers(
  receipts: readonly string[],
  trustText: string,
  quorum: number,
): Promise<(ReceiptVerdict | undefined)[]> {
  if (receipts.every((r) => r === '')) return receipts.map(() => undefined);
  startVerifyWorkers();
  const { workers, pending } = pool as Pool;
  const used = Math.max(1, Math.min(workers.length, Math.ceil(receipts.length / PER_WORKER_MIN)));
  const share = Math.ceil(receipts.length / used);
  const parts = await Promise.all(
    workers.slice(0, used).map((worker, i) => {
      const id = nextId++;
      const job: VerifyJob = { id, trustText, quorum, receipts: receipts.slice(i * share, (i + 1) * share) };
      return new Promise<readonly ReceiptVerdict[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage(job);
      });
    }),
  );
  return parts.flat().map((verdict, i) => (receipts[i] === '' ? undefined : verdict));
}

function stopPool(error: Error): void {
  const stopping = pool;
  pool = undefined;
  if (stopping === undefined) return;
  for (const worker of stopping.workers) worker.terminate();
  for (const job of stopping.pending.values()) job.reject(error);
}
