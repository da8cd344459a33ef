/// <reference lib="webworker" />
import { readPinnedTrust } from './pinned-trust.js';
import { BrowserReceiptChecker, type ReceiptCheck } from './receipt-check.js';

// Verifies a share of a history's receipts off the main thread (verify-in-workers.ts splits them):
// the same BrowserReceiptChecker, built here from the pinned keys' text.

export interface VerifyJob {
  readonly trustText: string;
  readonly quorum: number;
  readonly receipts: readonly string[];
}

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (message: MessageEvent<VerifyJob>) => {
  const { trustText, quorum, receipts } = message.data;
  const checker = new BrowserReceiptChecker(readPinnedTrust(trustText, quorum).trust);
  scope.postMessage(receipts.map((receipt): ReceiptCheck => checker.check(receipt)));
};
