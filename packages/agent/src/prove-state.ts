import { type ReceiptStore, TreeBundle } from '@msi/client';
import { formatImprint, formatUuid, type ReceiptVerifier, type VerifiedAnyReceipt } from '@msi/client/verify';
import { CodedError } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { type StateAt, stateAt } from './state-at.js';
import type { IndexEntry } from './state-index.js';

/** Why a state could not be proven. */
export type StateProofErrorCode = 'NOTHING_REPORTED' | 'NOT_ANCHORED' | 'RECEIPT_MISMATCH' | 'CHAIN_BROKEN';

export class StateProofError extends CodedError<StateProofErrorCode> {
  override readonly name = 'StateProofError';
}

/** One event of the chain, with what its verified receipt proves. */
export interface ProvenReport {
  readonly entry: IndexEntry;
  readonly receipt: VerifiedAnyReceipt;
  /** The calendar round that anchors it (its root event's, when aggregated). */
  readonly round: number;
  /** When ingest received it (or its local tree's root event), µs: it existed no later than this. */
  readonly receivedAtUs: number;
}

export interface StateProof extends StateAt {
  readonly proven: readonly ProvenReport[];
}

/**
 * Proves what the agent reported about `path` (on `host`) at `atUs`: each event of the chain that
 * sets the state is looked up in the receipt store (receipt v1 for a change, v2 for a baseline or
 * rescan), verified offline with `verifier`, and checked to say what the index says (id, content
 * hash, path, host) and to name the previous event of the chain as its parent.
 */
export async function proveState(
  entries: readonly IndexEntry[],
  o: { path: string; host: string; atUs: number; store: ReceiptStore; verifier: ReceiptVerifier },
): Promise<StateProof> {
  const at = stateAt(entries, o.atUs);
  if (at.last === undefined) {
    throw new StateProofError(
      'NOTHING_REPORTED',
      `the agent reported nothing about ${o.path} at or before that time`,
    );
  }
  const proven: ProvenReport[] = [];
  let previous: IndexEntry | undefined;
  for (const entry of at.chain) {
    const receipt = o.verifier.verify(await receiptOf(entry, o.store));
    checkReport(entry, receipt, o, previous);
    proven.push({
      entry,
      receipt,
      round: receipt.version === 1 ? receipt.round.round : receipt.rootReceipt.round.round,
      receivedAtUs: receipt.version === 1 ? receipt.event.receivedAt : receipt.receivedAt,
    });
    previous = entry;
  }
  return { ...at, proven };
}

async function receiptOf(entry: IndexEntry, store: ReceiptStore): Promise<string | Uint8Array> {
  if (entry.tree === undefined) {
    const json = await store.getReceipt(entry.id);
    if (json === undefined) throw new StateProofError('NOT_ANCHORED', `event ${entry.id} has no receipt yet`);
    return json;
  }
  let bundle: TreeBundle;
  try {
    bundle = TreeBundle.open(await store.readTree(entry.tree.id), nodeHasher());
    return bundle.receipt(entry.tree.index);
  } catch (error: unknown) {
    throw new StateProofError(
      'NOT_ANCHORED',
      `event ${entry.id} (local tree ${entry.tree.id}) is not anchored: ${String(error)}`,
    );
  }
}

function checkReport(
  entry: IndexEntry,
  receipt: VerifiedAnyReceipt,
  o: { path: string; host: string },
  previous: IndexEntry | undefined,
): void {
  const event = receipt.event;
  const attribute = (key: string) => event.attributes.find((a) => a.key === key)?.value;
  const problems = [
    formatUuid(event.eventId) === entry.id ? '' : `its id is ${formatUuid(event.eventId)}`,
    event.kind === entry.kind ? '' : `its kind is ${event.kind}`,
    formatImprint(event.data) === entry.state.hash ? '' : `its data is ${formatImprint(event.data)}`,
    attribute('file.path') === o.path ? '' : `its file.path is ${attribute('file.path') ?? 'missing'}`,
    event.source.host === o.host ? '' : `its host is ${event.source.host}`,
  ].filter((p) => p !== '');
  if (problems.length > 0) {
    throw new StateProofError(
      'RECEIPT_MISMATCH',
      `the receipt of event ${entry.id} does not say what the index says: ${problems.join(', ')}`,
    );
  }
  if (previous !== undefined && !event.parents.some((p) => formatUuid(p) === previous.id)) {
    throw new StateProofError(
      'CHAIN_BROKEN',
      `event ${entry.id} does not name the path's previous event ${previous.id}`,
    );
  }
}
