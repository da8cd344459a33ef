import { type DataEvent, encodeImprint, formatImprint, type Imprint } from '@msi/core';
import {
  type CustodyRuleSettings,
  type CustodySettings,
  type FactSource,
  factsOfStateEvent,
} from '@msi/policy';

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

/**
 * An imprint's key in the state's maps: its wire form as latin1 text, one character per byte (33 for
 * SHA-256), made by Buffer as one flat string (@noble's bytesToHex built a rope of 34 pieces, which
 * every Map lookup then flattened and hashed). Half the length of hex, and cheaper to make. It may
 * hold any character, '|' among them: the deletion and fact keys are split knowing that a tenant
 * and a fact name hold none (splitDeletionKey, splitFactKey).
 */
const keyText = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/** The wire form of an item's key (keyText): what Postgres stores. */
export const keyBytes = (key: string): Buffer => Buffer.from(key, 'latin1');

/** An imprint's wire form (encodeImprint, as stored in Postgres) and its key (keyText of it). */
export interface WireForm {
  readonly wire: Uint8Array;
  readonly key: string;
}
/** A deletion's key: the tenant and the item's key. */
const deletionKey = (tenant: string, item: string) => `${tenant}|${item}`;
const factKey = (tenant: string, item: string, name: string) => `${tenant}|${item}|${name}`;

/**
 * The custody state a round needs (the items its events name, loaded from Postgres), evolved event
 * by event in calendar order. Pure: loading and saving are the caller's; `changed*` say what to save.
 */
export class CustodyState implements FactSource {
  /**
   * The wire form of each imprint named so far, by imprint object: a round's events are decoded once,
   * then loaded, checked and applied with the same imprint objects, so each is encoded once. A Map,
   * not a WeakMap: it goes with the state at the end of the round, and V8's garbage collector has no
   * ephemerons to trace (same lookups, ~10% less time per item with collections between rounds).
   */
  readonly #forms = new Map<Imprint, WireForm>();
  readonly items = new Map<string, ItemState>();
  readonly deletions = new Map<string, Deletion | undefined>();
  readonly facts = new Map<string, string | undefined>();
  readonly changedItems = new Set<string>();
  readonly changedDeletions = new Set<string>();
  readonly changedFacts = new Set<string>();

  /** The wire form of `item` and its key (shared: never change its bytes). */
  wireFormOf(item: Imprint): WireForm {
    let form = this.#forms.get(item);
    if (form === undefined) {
      const wire = encodeImprint(item);
      form = { wire, key: keyText(wire) };
      this.#forms.set(item, form);
    }
    return form;
  }

  loadItem(imprint: Uint8Array, state: ItemState): void {
    this.items.set(keyText(imprint), state);
  }

  loadDeletion(tenant: string, imprint: Uint8Array, deletion: Deletion): void {
    this.deletions.set(deletionKey(tenant, keyText(imprint)), deletion);
  }

  loadFact(tenant: string, imprint: Uint8Array, name: string, value: string): void {
    this.facts.set(factKey(tenant, keyText(imprint), name), value);
  }

  fact(tenant: string, data: Imprint, name: string): string | undefined {
    return this.facts.get(factKey(tenant, this.#keyOf(data), name));
  }

  /** The findings of the custody rules on `event`, judged on the state before it. */
  check(event: DataEvent, settings: CustodySettings): CustodyFinding[] {
    const findings: CustodyFinding[] = [];
    const enabled = (s: CustodyRuleSettings) =>
      s.enabled && (s.tenants === undefined || s.tenants.has(event.tenant));
    const what = () => `${event.kind} by ${event.actor}`;
    const reads = event.kind === 'ACCESS' || event.kind === 'TRANSFER';
    if ((reads || event.kind === 'DELETE') && enabled(settings.unknownProvenance)) {
      if (this.items.get(this.#keyOf(event.data))?.provenance !== true) {
        findings.push({
          rule: 'unknown-provenance',
          settings: settings.unknownProvenance,
          item: event.data,
          message: `${what()} of ${formatImprint(event.data)}: MSI never saw this data stored or produced`,
        });
      }
    }
    if (enabled(settings.useAfterDelete)) {
      const read = reads ? [event.data] : event.kind === 'PROCESS' ? event.inputs : [];
      for (const item of read) {
        const deletion = this.deletions.get(deletionKey(event.tenant, this.#keyOf(item)));
        if (deletion === undefined) continue;
        findings.push({
          rule: 'use-after-delete',
          settings: settings.useAfterDelete,
          item,
          message: `${what()} uses ${formatImprint(item)} after ${event.tenant} deleted it (round ${deletion.round})`,
        });
      }
    }
    if (event.kind === 'PROCESS' && enabled(settings.unanchoredInput)) {
      for (const input of event.inputs) {
        if (this.items.has(this.#keyOf(input))) continue;
        findings.push({
          rule: 'unanchored-input',
          settings: settings.unanchoredInput,
          item: input,
          message: `${what()} read ${formatImprint(input)}, which was never anchored before`,
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
      const key = this.#keyOf(item);
      const before = this.items.get(key);
      const provenance = (before?.provenance ?? false) || produced.some((p) => this.#keyOf(p) === key);
      if (before === undefined || before.provenance !== provenance) {
        this.items.set(key, { provenance, firstRound: before?.firstRound ?? round });
        this.changedItems.add(key);
      }
    }
    if (event.kind === 'DELETE' && options.recordDeletion !== false) {
      this.#setDeletion(event.tenant, this.#keyOf(event.data), { round, eventId: event.eventId });
    }
    for (const item of produced) {
      const key = this.#keyOf(item);
      if (this.deletions.get(deletionKey(event.tenant, key)) !== undefined) {
        this.#setDeletion(event.tenant, key, undefined);
      }
    }
    for (const change of factsOfStateEvent(event)) {
      const key = factKey(event.tenant, this.#keyOf(event.data), change.name);
      this.facts.set(key, change.value);
      this.changedFacts.add(key);
    }
  }

  #keyOf(item: Imprint): string {
    return this.wireFormOf(item).key;
  }

  #setDeletion(tenant: string, item: string, deletion: Deletion | undefined): void {
    const key = deletionKey(tenant, item);
    this.deletions.set(key, deletion);
    this.changedDeletions.add(key);
  }
}

/** A deletion key's tenant and item key (a tenant holds no '|'; the item key may). */
export function splitDeletionKey(key: string): [tenant: string, item: string] {
  const bar = key.indexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1)];
}

/** A fact key's tenant, item key and fact name (neither a tenant nor a fact name holds a '|'). */
export function splitFactKey(key: string): [tenant: string, item: string, name: string] {
  const first = key.indexOf('|');
  const last = key.lastIndexOf('|');
  return [key.slice(0, first), key.slice(first + 1, last), key.slice(last + 1)];
}
