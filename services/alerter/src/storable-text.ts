/** The character Postgres text and jsonb cannot hold. */
const NUL = '\u0000';

/**
 * `text` as Postgres can store it: U+0000 shown as U+FFFD. A valid event may carry U+0000 in its
 * actor, endpoints or attribute values (canonical event v1 allows it, and its receipt keeps the exact
 * bytes), but text and jsonb columns refuse it — and a statement that fails on every retry would
 * stall the stream it came from. Alerts and facts are for reading, so they show it replaced.
 */
export function storableText(text: string): string {
  return text.includes(NUL) ? text.replaceAll(NUL, '\uFFFD') : text;
}

/** Every key and value of `record` as storableText (the record itself when none holds U+0000). */
export function storableRecord(record: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const entries = Object.entries(record);
  if (entries.every(([k, v]) => !k.includes(NUL) && !v.includes(NUL))) return record;
  return Object.fromEntries(entries.map(([k, v]) => [storableText(k), storableText(v)]));
}
