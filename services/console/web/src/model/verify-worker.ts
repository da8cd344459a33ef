/// <reference lib="webworker" />
import { readPinnedTrust } from './pinned-trust.js';
import { BrowserReceiptChecker, type ReceiptVerdict } from './receipt-check.js';
import { WARM_UP_KEY, WARM_UP_RECEIPT } from './warm-up-receipt.js';

// One worker of the verification pool (verify-in-workers.ts): verifies a share of a listing's
// receipts with a BrowserReceiptChecker built from the pinned keys' text, and answers only the
// verdicts. The checker is kept while the keys stay the same, so a checkpoint shared by the receipts
// of several searches has its signatures checked once.

export interface VerifyJob {
  readonly id: number;
  readonly trustText: string;
  readonly quorum: number;
  readonly receipts: readonly string[];
}

export type VerifyAnswer =
  | { readonly id: number; readonly verdicts: readonly ReceiptVerdict[] }
  | { readonly id: number; readonly error: string };

/** Verifications of the bundled receipt made when the worker starts (see warmUp). */
const WARM_UP_ROUNDS = 48;

const scope = self as unknown as DedicatedWorkerGlobalScope;
let current: { readonly key: string; readonly checker: BrowserReceiptChecker } | undefined;

scope.onmessage = (message: MessageEvent<VerifyJob>) => {
  const { id, trustText, quorum, receipts } = message.data;
  try {
    const key = `${quorum}\n${trustText}`;
    if (current?.key !== key) {
      current = { key, checker: new BrowserReceiptChecker(readPinnedTrust(trustText, quorum).trust) };
    }
    const checker = current.checker;
    const answer: VerifyAnswer = { id, verdicts: receipts.map((receipt) => checker.verdict(receipt)) };
    scope.postMessage(answer);
  } catch (error: unknown) {
    const answer: VerifyAnswer = { id, error: error instanceof Error ? error.message : String(error) };
    scope.postMessage(answer);
  }
};

/**
 * Runs the verification path on a receipt of the core's vectors, with a checker of its own, while
 * the auditor signs in and pins keys: the browser compiles and optimises the parsing, hashing and
 * proof code before the first search needs it. Nothing of it is kept or shown.
 */
function warmUp(): void {
  const checker = new BrowserReceiptChecker(readPinnedTrust(WARM_UP_KEY, 0).trust);
  // A receipt v1 is verified in full each time (only its checkpoint's signatures are remembered).
  for (let i = 0; i < WARM_UP_ROUNDS; i++) checker.verdict(WARM_UP_RECEIPT);
}

warmUp();
