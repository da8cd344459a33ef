// Kept for the endpoint fields seen (source, destination and the aggregated event's), at most 64.
const endpointNames = new Map<string, readonly [string, string, string]>();

/**
 * The names of an endpoint's three fields (`<field>.system`, `.region`, `.host`), made once per
 * endpoint field: they are needed only for an error, and every event has two endpoints.
 */
export function endpointFieldNames(field: string): readonly [string, string, string] {
  let names = endpointNames.get(field);
  if (names === undefined) {
    names = [`${field}.system`, `${field}.region`, `${field}.host`];
    if (endpointNames.size < 64) endpointNames.set(field, names);
  }
  return names;
}
