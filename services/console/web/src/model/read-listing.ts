import type {
  ActorSearchResponseJson,
  HistoryEntryJson,
  HistoryResponseJson,
} from '../../../src/api-types.js';
import type { ApiClient } from './api-client.js';
import type { ReceiptVerdict } from './receipt-check.js';
import { verifyInWorkers } from './verify-in-workers.js';

/** Entries asked per page: small enough that the workers verify one page while the next is read. */
const PAGE_SIZE = 250;
/** The most entries read for one search. */
const MAX_ENTRIES = 10_000;

export interface VerifiedListing {
  readonly entries: readonly HistoryEntryJson[];
  /** The verdict on each entry's receipt (undefined: no receipt). */
  readonly verdicts: readonly (ReceiptVerdict | undefined)[];
  /** From the first request to the last page read. */
  readonly fetchMs: number;
  /** From the last page read to the last verdict: the verification not hidden behind reading. */
  readonly verifyAfterFetchMs: number;
}

/**
 * Reads a listing of the console's API page by page (GetHistory or SearchByActor, at most
 * MAX_ENTRIES) and verifies each page's receipts in the workers as soon as it arrives, so that
 * reading and verifying overlap. Nothing is judged here: custody.ts does that with the verdicts.
 */
export async function readAndVerifyListing(
  client: ApiClient,
  path: '/api/v1/history' | '/api/v1/search/actor',
  body: object,
  trust: { readonly text: string; readonly quorum: number },
): Promise<VerifiedListing> {
  const entries: HistoryEntryJson[] = [];
  const pages: Promise<(ReceiptVerdict | undefined)[]>[] = [];
  const started = performance.now();
  let pageToken = '';
  do {
    const response = await client.post<HistoryResponseJson | ActorSearchResponseJson>(path, {
      ...body,
      pageSize: PAGE_SIZE,
      pageToken,
    });
    entries.push(...response.entries);
    const receipts = response.entries.map((entry) => entry.receiptJson ?? '');
    pages.push(verifyInWorkers(receipts, trust.text, trust.quorum));
    pageToken = response.nextPageToken;
  } while (pageToken !== '' && entries.length < MAX_ENTRIES);
  const fetched = performance.now();
  const verdicts = (await Promise.all(pages)).flat();
  return { entries, verdicts, fetchMs: fetched - started, verifyAfterFetchMs: performance.now() - fetched };
}
