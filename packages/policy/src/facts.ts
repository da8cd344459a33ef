import type { DataEvent, Imprint } from '@msi/core';

/**
 * Facts the alerter has learnt about data items (from STATE events). `data` is the event's data
 * imprint as decoded (the same object on every call for one event, so a source may remember what it
 * derived from it: the alerter, its wire form and key). Returns undefined when nothing is known; an
 * empty string also counts as "no value" (retracted) and hides the file's static fact.
 */
export interface FactSource {
  fact(tenant: string, data: Imprint, name: string): string | undefined;
}

/** A FactSource that knows nothing (rules then see the policy file's static facts only). */
export const NO_FACTS: FactSource = { fact: () => undefined };

/** One fact a STATE event sets or retracts about its data item. */
export interface FactChange {
  readonly name: string;
  /** undefined = retracted. */
  readonly value: string | undefined;
}

/** Valid fact names: `[a-z0-9_]{1,48}`. */
export const FACT_NAME = /^[a-z0-9_]{1,48}$/;
const FACT_PREFIX = 'fact.';

/**
 * A STATE event's facts about its `data` item: its attributes `fact.<name>` (name [a-z0-9_]{1,48};
 * other attributes are ignored); an empty value retracts the fact. [] for other kinds.
 */
export function factsOfStateEvent(event: DataEvent): FactChange[] {
  if (event.kind !== 'STATE') return [];
  const changes: FactChange[] = [];
  for (const { key, value } of event.attributes) {
    if (!key.startsWith(FACT_PREFIX)) continue;
    const name = key.slice(FACT_PREFIX.length);
    if (FACT_NAME.test(name)) changes.push({ name, value: value === '' ? undefined : value });
  }
  return changes;
}

const MAX_CACHED_LISTS = 1024;
const listCache = new Map<string, ReadonlySet<string>>();

/** The items of a comma-separated fact value (trimmed, empty items dropped), cached by value. */
export function factListItems(value: string): ReadonlySet<string> {
  let items = listCache.get(value);
  if (items === undefined) {
    items = new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
    if (listCache.size >= MAX_CACHED_LISTS) listCache.clear();
    listCache.set(value, items);
  }
  return items;
}

/** The policy file's static facts: tenant → imprint text → fact name → value. */
export type StaticFacts = ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, string>>>;
