import { decodeUtf8, isWellFormed } from '../note/text.js';
import { JsonError, MAX_JSON_DEPTH } from './json-error.js';

/**
 * The RFC 8785 (JCS) canonical serialisation of `value`: no insignificant white space, object
 * members sorted by their names as UTF-16 code-unit strings, numbers as ECMAScript
 * `Number.prototype.toString` (so `-0` is `0`), strings with only the required escapes (`\"`, `\\`,
 * `\b`, `\f`, `\n`, `\r`, `\t`, other controls as lowercase `\u00xx`).
 *
 * `value` must be in the I-JSON data model: `null`, booleans, finite numbers, well-formed strings,
 * dense arrays and plain objects (prototype `Object.prototype` or `null`) of those, nested at most
 * {@link MAX_JSON_DEPTH} deep. Anything else throws `UNSUPPORTED_VALUE` (never silently dropped).
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, 0, new Set());
}

function serialize(value: unknown, depth: number, open: Set<object>): string {
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) unsupported(`number ${value} is not finite`);
      return JSON.stringify(value);
    case 'string':
      return serializeString(value);
    case 'object':
      if (value === null) return 'null';
      return serializeContainer(value, depth, open);
    default:
      return unsupported(`a ${typeof value} is not a JSON value`);
  }
}

function serializeString(value: string): string {
  if (!isWellFormed(value)) unsupported('string has a lone surrogate');
  // For well-formed strings, ECMAScript JSON.stringify escapes exactly as RFC 8785 §3.2.2.2 requires.
  return JSON.stringify(value);
}

function serializeContainer(value: object, depth: number, open: Set<object>): string {
  if (depth >= MAX_JSON_DEPTH) unsupported(`nesting is deeper than ${MAX_JSON_DEPTH}`);
  if (open.has(value)) unsupported('value has a cycle');
  open.add(value);
  const text = Array.isArray(value)
    ? serializeArray(value, depth, open)
    : serializeObject(value, depth, open);
  open.delete(value);
  return text;
}

function serializeArray(value: readonly unknown[], depth: number, open: Set<object>): string {
  const items: string[] = [];
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) unsupported('array is sparse');
    items.push(serialize(value[i], depth + 1, open));
  }
  return `[${items.join(',')}]`;
}

function serializeObject(value: object, depth: number, open: Set<object>): string {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) unsupported('object is not a plain object');
  if (Object.getOwnPropertySymbols(value).length > 0) unsupported('object has symbol keys');
  const record = value as Record<string, unknown>;
  // Default string comparison is by UTF-16 code units, as RFC 8785 §3.2.3 requires.
  const names = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const members = names.map((name) => `${serializeString(name)}:${serialize(record[name], depth + 1, open)}`);
  return `{${members.join(',')}}`;
}

/**
 * Parses `text` (hostile input; a string, or bytes that must be valid UTF-8) as JSON and returns its
 * value only if `text` is exactly {@link canonicalJson} of that value: `MALFORMED_JSON` if it is not
 * JSON (or nests deeper than {@link MAX_JSON_DEPTH}), `NOT_CANONICAL` if it is JSON spelled any other
 * way (white space, member order, duplicate names, `1.0`, `1E3`, `"\u0041"`, a number that does not
 * round-trip, a lone surrogate...). A byte-order mark is not JSON text and is malformed.
 */
export function parseCanonicalJson(text: string | Uint8Array): unknown {
  const source = typeof text === 'string' ? text : decodeUtf8(text);
  if (source === undefined) throw new JsonError('MALFORMED_JSON', 'text is not valid UTF-8');
  if (nestingDepth(source) > MAX_JSON_DEPTH) {
    throw new JsonError('MALFORMED_JSON', `nesting is deeper than ${MAX_JSON_DEPTH}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    throw new JsonError('MALFORMED_JSON', 'text is not JSON');
  }
  let canonical: string;
  try {
    canonical = canonicalJson(value);
  } catch (e) {
    if (e instanceof JsonError)
      throw new JsonError('NOT_CANONICAL', `text has no canonical form: ${e.message}`);
    throw e;
  }
  if (canonical !== source)
    throw new JsonError('NOT_CANONICAL', 'text is not the canonical JSON of its value');
  return value;
}

/** The deepest bracket nesting of `text`, ignoring brackets inside strings; an upper bound for JSON. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

function unsupported(message: string): never {
  throw new JsonError('UNSUPPORTED_VALUE', message);
}
