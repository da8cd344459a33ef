import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, Scalar } from 'yaml';
import { didYouMean } from './did-you-mean.js';
import { parseDuration } from './duration.js';
import type { PolicyProblem } from './policy-error.js';

/** A node of the policy document with the path that names it; `node` is null for an empty value. */
export interface At {
  readonly node: Node | null;
  readonly path: string;
  /** Where to point when `node` is null (the key, or the enclosing collection). */
  readonly offset: number;
}

/** One key of a map, in file order. */
export interface Entry extends At {
  readonly key: string;
  readonly keyOffset: number;
}

/** The entries of a map by key, in file order. */
export type Entries = ReadonlyMap<string, Entry>;

/** `path.key`, or `key` at the root. */
export const childPath = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/**
 * Reads the policy document node by node, checking shapes and types and collecting every problem with
 * its line, column and path. The document is operator input: every read checks what it gets.
 */
export class YamlReader {
  readonly problems: PolicyProblem[] = [];

  constructor(
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  /** Records a problem at an offset of the text. */
  reportAt(offset: number, path: string, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ line, column: col, path, message });
  }

  /**
   * Records a problem about a part of a scalar: at `fragment` where it is written in the node's source
   * (so a bad placeholder is pointed at), else at the node.
   */
  reportWithin(at: At, fragment: string, message: string): void {
    const start = offsetOf(at);
    const end = at.node?.range?.[1] ?? start;
    const index = fragment === '' ? -1 : this.text.slice(start, end).indexOf(fragment);
    this.reportAt(index < 0 ? start : start + index, at.path, message);
  }

  /** Records a problem at a node (or at `at.offset` when the value is empty). */
  report(at: At, message: string): void {
    this.reportAt(offsetOf(at), at.path, message);
  }

  /**
   * The entries of a map. With `known`, other keys are reported (with a "did you mean"); keys must be
   * scalars and unique. Reports and returns undefined when the node is not a map.
   */
  map(at: At, known?: readonly string[]): Entries | undefined {
    if (!isMap(at.node)) {
      this.report(at, `must be a map, got ${describe(at.node)}`);
      return undefined;
    }
    const entries = new Map<string, Entry>();
    for (const pair of at.node.items) {
      const keyNode = pair.key as Node | null;
      const keyOffset = keyNode?.range?.[0] ?? offsetOf(at);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.reportAt(keyOffset, at.path, 'keys must be plain strings');
        continue;
      }
      const key = scalarText(keyNode);
      const path = childPath(at.path, key);
      const value = (pair.value as Node | null) ?? null;
      if (entries.has(key)) {
        this.reportAt(keyOffset, path, 'duplicate key');
        continue;
      }
      if (known !== undefined && !known.includes(key)) {
        this.reportAt(keyOffset, path, `unknown key${didYouMean(key, known)}`);
        continue;
      }
      entries.set(key, { key, keyOffset, node: value, path, offset: value?.range?.[0] ?? keyOffset });
    }
    return entries;
  }

  /** The entry `key` of a map; reports it as missing (at the map) when `required`. */
  entry(entries: Entries, key: string, parent: At, required = false): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined && required) {
      this.reportAt(offsetOf(parent), childPath(parent.path, key), 'is required');
    }
    return entry;
  }

  /** The items of a sequence; reports and returns undefined when the node is not one. */
  seq(at: At): At[] | undefined {
    if (!isSeq(at.node)) {
      this.report(at, `must be a list, got ${describe(at.node)}`);
      return undefined;
    }
    return at.node.items.map((item, i) => {
      const node = (item as Node | null) ?? null;
      return { node, path: `${at.path}[${i}]`, offset: node?.range?.[0] ?? offsetOf(at) };
    });
  }

  /** A string. Numbers and booleans are taken as written (`2` → "2") when `lenient`. */
  string(at: At, lenient = false): string | undefined {
    const node = at.node;
    if (isScalar(node) && typeof node.value === 'string') return node.value;
    if (lenient && isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
      return scalarText(node);
    }
    this.report(at, `must be a string, got ${describe(node)}`);
    return undefined;
  }

  /** A string matching `pattern`; `what` says what it should look like. */
  matching(at: At, pattern: RegExp, what: string): string | undefined {
    const text = this.string(at);
    if (text === undefined) return undefined;
    if (!pattern.test(text)) {
      this.report(at, `"${text}" is not ${what}`);
      return undefined;
    }
    return text;
  }

  /** One of `values`. */
  oneOf<T extends string>(at: At, values: readonly T[]): T | undefined {
    const text = this.string(at);
    if (text === undefined) return undefined;
    if (!(values as readonly string[]).includes(text)) {
      this.report(at, `"${text}" is not one of ${values.join(', ')}${didYouMean(text, values)}`);
      return undefined;
    }
    return text as T;
  }

  /** An integer in [min, max]. */
  integer(at: At, min: number, max: number): number | undefined {
    const node = at.node;
    if (!isScalar(node) || typeof node.value !== 'number') {
      this.report(at, `must be a number, got ${describe(node)}`);
      return undefined;
    }
    if (!Number.isInteger(node.value) || node.value < min || node.value > max) {
      this.report(at, `must be an integer from ${min} to ${max}, got ${scalarText(node)}`);
      return undefined;
    }
    return node.value;
  }

  /** A boolean. */
  boolean(at: At): boolean | undefined {
    if (isScalar(at.node) && typeof at.node.value === 'boolean') return at.node.value;
    this.report(at, `must be true or false, got ${describe(at.node)}`);
    return undefined;
  }

  /** A duration `<n>ms|s|m|h|d` greater than zero, in microseconds. */
  duration(at: At): number | undefined {
    const text = this.string(at);
    if (text === undefined) return undefined;
    const micros = parseDuration(text);
    if (micros === undefined || micros === 0) {
      this.report(at, `"${text}" is not a duration like 500ms, 60s, 10m, 2h or 1d`);
      return undefined;
    }
    return micros;
  }

  /** A list of strings (each checked with `item`), or undefined after reporting. */
  strings(at: At, item: (at: At) => string | undefined = (a) => this.string(a)): string[] | undefined {
    const items = this.seq(at);
    if (items === undefined) return undefined;
    const out: string[] = [];
    let ok = true;
    for (const i of items) {
      const text = item(i);
      if (text === undefined) ok = false;
      else out.push(text);
    }
    return ok ? out : undefined;
  }
}

/** The offset a problem about `at` points to. */
export function offsetOf(at: At): number {
  return at.node?.range?.[0] ?? at.offset;
}

/** A scalar as written in the file (numbers keep their source form, e.g. `1.50`). */
export function scalarText(node: Scalar): string {
  if (typeof node.value === 'string') return node.value;
  return node.source ?? String(node.value);
}

/** What a node is, for messages: `a map`, `a list`, `the number 3`, `"x"`, `nothing`. */
export function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return 'an alias (aliases are not supported)';
  if (node instanceof Scalar) {
    if (node.value === null) return 'nothing';
    if (typeof node.value === 'string') return `the string "${node.value}"`;
    if (typeof node.value === 'number') return `the number ${scalarText(node)}`;
    if (typeof node.value === 'boolean') return `${node.value}`;
  }
  return 'an unsupported value';
}
