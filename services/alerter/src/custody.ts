import { type DataEvent, encodeImprint, formatImprint, type Imprint } from '@msi/core';
import {
  type CustodyRuleSettings,
  type CustodySettings,
  type FactSource,
  factsOfStateEvent,
} from '@msi/policy';
import { bytesToHex } from '@noble/hashes/utils.js';

/** What MSI has seen of a data item, in calendar order. */
export interface ItemState {
  /** Seen stored (STORE data) or produced (PROCESS output). */
  readonly provenance: boolean;
  /** The round it was first anchored in. */
  readonly firstRound: number;
}

/** A tenant's deletion of an item. */
export interface Deletion {
  readonly round: number;
  readonly eventId: Uint8Array;
}

/** A chain-of-custody finding on one event. */
export interface CustodyFinding {
  readonly rule: 'unknown-provenance' | 'use-after-delete' | 'unanchored-input';
  readonly settings: CustodyRuleSettings;
  /** The item concerned. */
  readonly item: Imprint;
  readonly message: string;
}

const hex = (bytes: Uint8Array): string => bytesToHex(bytes);
/** An item's key: the hex of its wire form (encodeImprint), as stored in Postgres. */
const itemKey = (item: Imprint): string => hex(encodeImprint(item));
const deletionKey = (tenant: string, item: Uint8Array) => `${tenant}|${hex(item)}`;
const factKey = (tenant: string, item: Uint8Array, name: string) => `${tenant}|${hex(item)}|${name}`;

/**
 * The custody state a round needs (the items its events name, loaded from Postgres), evolved event
 * by event in calendar order. Pure: loading and saving are the caller's; `changed*` say what to save.
 */
export class CustodyState implements FactSource {
  readonly items = new Map<string, ItemState>();
  readonly deletions = new Map<string, Deletion | undefined>();
  readonly facts = new Map<string, string | undefined>();
  readonly changedItems = new Set<string>();
  readonly changedDeletions = new Set<string>();
  readonly changedFacts = new Set<string>();
  /** The imprints behind the hex keys of `items`, for saving. */
  readonly imprints = new Map<string, Uint8Array>();

  loadItem(imprint: Uint8Array, state: ItemState): void {
    this.items.set(hex(imprint), state);
    this.imprints.set(hex(imprint), imprint);
  }

  loadDeletion(tenant: string, imprint: Uint8Array, deletion: Deletion): void {
    this.deletions.set(deletionKey(tenant, imprint), deletion);
  }

  loadFact(tenant: string, imprint: Uint8Array, name: string, value: string): void {
    this.facts.set(factKey(tenant, imprint, name), value);
  }

  fact(tenant: string, data: Uint8Array, name: string): string | undefined {
    return this.facts.get(factKey(tenant, data, name));
  }

  /** The findings of the custody rules on `event`, judged on the state before it. */
  check(event: DataEvent, settings: CustodySettings): CustodyFinding[] {
    const findings: CustodyFinding[] = [];
    const enabled = (s: CustodyRuleSettings) =>
      s.enabled && (s.tenants === undefined || s.tenants.has(event.tenant));
    const what = `${event.kind} by ${event.actor}`;
    if (['ACCESS', 'TRANSFER', 'DELETE'].includes(event.kind) && enabled(settings.unknownProvenance)) {
      if (this.items.get(itemKey(event.data))?.provenance !== true) {
        findings.push({
          rule: 'unknown-provenance',
          settings: settings.unknownProvenance,
          item: event.data,
          message: `${what} of ${formatImprint(event.data)}: MSI never saw this data stored or produced`,
        });
      }
    }
    if (enabled(settings.useAfterDelete)) {
      const read = event.kind === 'ACCESS' || event.kind === 'TRANSFER' ? [event.data] : [];
      if (event.kind === 'PROCESS') read.push(...event.inputs);
      for (const item of read) {
        const deletion = this.deletions.get(deletionKey(event.tenant, encodeImprint(item)));
        if (deletion === undefined) continue;
        findings.push({
          rule: 'use-after-delete',
          settings: settings.useAfterDelete,
          item,
          message: `${what} uses ${formatImprint(item)} after ${event.tenant} deleted it (round ${deletion.round})`,
        });
      }
    }
    if (event.kind === 'PROCESS' && enabled(settings.unanchoredInput)) {
      for (const input of event.inputs) {
        if (this.items.has(itemKey(input))) continue;
        findings.push({
          rule: 'unanchored-input',
          settings: settings.unanchoredInput,
          item: input,
          message: `${what} read ${formatImprint(input)}, which was never anchored before`,
        });
      }
    }
    return findings;
  }

  /**
   * Applies `event` (anchored in `round`) to the state. `recordDeletion: false` (an event the
   * policy's `custody.exempt` leaves out): a DELETE is not recorded as the item's deletion.
   */
  apply(event: DataEvent, round: number, options: { readonly recordDeletion?: boolean } = {}): void {
    const produced =
      event.kind === 'STORE' ? [event.data] : event.kind === 'PROCESS' ? [...event.outputs] : [];
    for (const item of [event.data, ...event.inputs, ...event.outputs]) {
      const key = itemKey(item);
      const before = this.items.get(key);
      const provenance = (before?.provenance ?? false) || produced.some((p) => itemKey(p) === key);
      if (before === undefined || before.provenance !== provenance) {
        this.items.set(key, { provenance, firstRound: before?.firstRound ?? round });
        this.imprints.set(key, encodeImprint(item));
        this.changedItems.add(key);
      }
    }
    if (event.kind === 'DELETE' && options.recordDeletion !== false) {
      this.#setDeletion(event.tenant, encodeImprint(event.data), { round, eventId: event.eventId });
    }
    for (const item of produced) {
      const wire = encodeImprint(item);
      if (this.deletions.get(deletionKey(event.tenant, wire)) !== undefined) {
        this.#setDeletion(event.tenant, wire, undefined);
      }
    }
    for (const change of factsOfStateEvent(event)) {
      const key = factKey(event.tenant, encodeImprint(event.data), change.name);
      this.facts.set(key, change.value);
      this.changedFacts.add(key);
    }
  }

  #setDeletion(tenant: string, item: Uint8Array, deletion: Deletion | undefined): void {
    const key = deletionKey(tenant, item);
    this.deletions.set(key, deletion);
    this.imprints.set(hex(item), item);
    this.changedDeletions.add(key);
  }
}

/** Splits a deletion/fact key back into its parts (tenant, imprint hex[, name]). */
export function splitStateKey(key: string): string[] {
  return key.split('|');
}
