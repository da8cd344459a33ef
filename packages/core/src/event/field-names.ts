// The snake_case paths of fields inside an event, made once per path: they are needed only for an
// error, and every event of a stream would otherwise build the same strings again.

/** At most this many paths of each kind are kept (the event's fields and list items are fewer). */
const MAX_KEPT = 64;

const endpointNames = new Map<string, readonly [string, string, string]>();
const itemNames = new Map<string, string[]>();
const attributeNames = new Map<string, readonly [string, string]>();

/** The names of an endpoint's three fields (`<field>.system`, `.region`, `.host`). */
export function endpointFieldNames(field: string): readonly [string, string, string] {
  let names = endpointNames.get(field);
  if (names === undefined) {
    names = [`${field}.system`, `${field}.region`, `${field}.host`];
    if (endpointNames.size < MAX_KEPT) endpointNames.set(field, names);
  }
  return names;
}

/** The name of item `index` of list `field` (`<field>[<index>]`), kept for the first MAX_KEPT items. */
export function listItemName(field: string, index: number): string {
  let names = itemNames.get(field);
  if (names === undefined) {
    names = [];
    if (itemNames.size < MAX_KEPT) itemNames.set(field, names);
  }
  let name = names[index];
  if (name === undefined) {
    name = `${field}[${index}]`;
    if (index < MAX_KEPT) names[index] = name;
  }
  return name;
}

/** The names of an attribute's two fields (`<field>.key`, `.value`), `field` being a list item name. */
export function attributeFieldNames(field: string): readonly [string, string] {
  let names = attributeNames.get(field);
  if (names === undefined) {
    names = [`${field}.key`, `${field}.value`];
    if (attributeNames.size < MAX_KEPT) attributeNames.set(field, names);
  }
  return names;
}
