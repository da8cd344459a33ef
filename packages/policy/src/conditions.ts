import { isEventKind } from '@msi/core';
import { isMap, isScalar, isSeq } from 'yaml';
import { didYouMean } from './did-you-mean.js';
import type { EventView } from './event-view.js';
import { FACT_NAME, factListItems } from './facts.js';
import { type Field, type FieldValue, fieldPathProblem, lookupField, valueText } from './field-paths.js';
import { parseClock, parseDay, WEEKDAYS } from './local-time.js';
import type { At, YamlReader } from './yaml-reader.js';

/** A compiled condition: does it hold for this event? */
export type Predicate = (view: EventView) => boolean;

/** What compiling a rule's conditions needs, and what it records. */
export interface ConditionScope {
  readonly reader: YamlReader;
  /** The policy's named lists. */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  /** Every field the conditions read, by path (facts used as operands as `fact.<name>`). Filled in. */
  readonly reads: Map<string, Field>;
}

/** The operators of a `{ op: value, … }` condition. */
export const OPERATORS = [
  'eq',
  'ne',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'matches',
  'prefix',
];

type Test = (value: FieldValue | undefined, view: EventView) => boolean;
type Operand = string | number | boolean;

const KINDS = ['TRANSFER', 'PROCESS', 'STORE', 'ACCESS', 'DELETE', 'STATE'] as const;

/**
 * Compiles a map of conditions (an implicit `all`): field conditions and the combinators `all`, `any`
 * and `not`. Reports every problem; returns undefined when there was one.
 */
export function compileConditions(scope: ConditionScope, at: At): Predicate | undefined {
  const entries = scope.reader.map(at);
  if (entries === undefined) return undefined;
  if (isMap(at.node) && at.node.items.length === 0) {
    scope.reader.report(at, 'needs at least one condition');
    return undefined;
  }
  const parts: Predicate[] = [];
  let ok = true;
  for (const entry of entries.values()) {
    const part =
      entry.key === 'all' || entry.key === 'any' || entry.key === 'not'
        ? compileCombinator(scope, entry.key, entry)
        : compileField(scope, entry.key, entry.keyOffset, entry);
    if (part === undefined) ok = false;
    else parts.push(part);
  }
  return ok ? allOf(parts) : undefined;
}

function compileCombinator(
  scope: ConditionScope,
  name: 'all' | 'any' | 'not',
  at: At,
): Predicate | undefined {
  if (name === 'not') {
    const inner = compileConditions(scope, at);
    return inner === undefined ? undefined : (view) => !inner(view);
  }
  const items = scope.reader.seq(at);
  if (items === undefined) return undefined;
  if (items.length === 0) {
    scope.reader.report(at, `${name} needs at least one condition`);
    return undefined;
  }
  const parts = items.map((item) => compileConditions(scope, item));
  if (parts.some((p) => p === undefined)) return undefined;
  const ps = parts as Predicate[];
  return name === 'all' ? allOf(ps) : anyOf(ps);
}

function allOf(parts: readonly Predicate[]): Predicate {
  if (parts.length === 1) return parts[0] as Predicate;
  return (view) => {
    for (const p of parts) if (!p(view)) return false;
    return true;
  };
}

function anyOf(parts: readonly Predicate[]): Predicate {
  return (view) => {
    for (const p of parts) if (p(view)) return true;
    return false;
  };
}

function compileField(scope: ConditionScope, path: string, keyOffset: number, at: At): Predicate | undefined {
  const field = lookupField(path);
  if (field === undefined) {
    scope.reader.reportAt(keyOffset, at.path, fieldPathProblem(path));
    return undefined;
  }
  scope.reads.set(field.path, field);
  const test = compileTest(scope, field, at);
  if (test === undefined) return undefined;
  const read = field.read;
  return (view) => test(read(view), view);
}

/** `scalar` = eq, `[a, b]` = in, `{ op: value, … }` = every op. */
function compileTest(scope: ConditionScope, field: Field, at: At): Test | undefined {
  if (isSeq(at.node)) return compileIn(scope, field, at, true);
  if (!isMap(at.node)) {
    const operand = readOperand(scope.reader, field, at);
    return operand === undefined ? undefined : (value) => value === operand;
  }
  const ops = scope.reader.map(at, OPERATORS);
  if (ops === undefined) return undefined;
  if (isMap(at.node) && at.node.items.length === 0) {
    scope.reader.report(at, `needs at least one operator (${OPERATORS.join(', ')})`);
    return undefined;
  }
  const tests: Test[] = [];
  let ok = true;
  for (const op of ops.values()) {
    const test = compileOperator(scope, field, op.key, op);
    if (test === undefined) ok = false;
    else tests.push(test);
  }
  if (!ok) return undefined;
  if (tests.length === 1) return tests[0];
  return (value, view) => {
    for (const t of tests) if (!t(value, view)) return false;
    return true;
  };
}

function compileOperator(scope: ConditionScope, field: Field, op: string, at: At): Test | undefined {
  const reader = scope.reader;
  switch (op) {
    case 'eq':
    case 'ne': {
      const operand = readOperand(reader, field, at);
      if (operand === undefined) return undefined;
      return op === 'eq' ? (value) => value === operand : (value) => value !== undefined && value !== operand;
    }
    case 'in':
    case 'not_in':
      return compileIn(scope, field, at, op === 'in');
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return compileOrder(reader, field, op, at);
    case 'exists': {
      const want = reader.boolean(at);
      return want === undefined ? undefined : (value) => (value !== undefined) === want;
    }
    case 'matches': {
      const source = reader.string(at);
      if (source === undefined) return undefined;
      let regex: RegExp;
      try {
        regex = new RegExp(source, 'u'); // from the operator's policy file, compiled once at load
      } catch (error) {
        reader.report(at, (error as Error).message);
        return undefined;
      }
      return (value) => value !== undefined && regex.test(valueText(value));
    }
    default: {
      const prefix = reader.string(at, true);
      return prefix === undefined
        ? undefined
        : (value) => value !== undefined && valueText(value).startsWith(prefix);
    }
  }
}

/** in / not_in over `[a, b]`, `{ list: name }` or `{ fact: name }`, comparing text forms. */
function compileIn(scope: ConditionScope, field: Field, at: At, positive: boolean): Test | undefined {
  const reader = scope.reader;
  if (isSeq(at.node)) {
    const items = reader.seq(at) ?? [];
    const operands = items.map((item) => readOperand(reader, field, item));
    if (operands.some((o) => o === undefined)) return undefined;
    return setTest(new Set(operands.map((o) => valueText(o as Operand))), positive);
  }
  const ref = reader.map(at, ['list', 'fact']);
  if (ref === undefined) return undefined;
  const [entry, extra] = [...ref.values()];
  if (entry === undefined || extra !== undefined) {
    reader.report(at, 'must be a list, { list: <name> } or { fact: <name> }');
    return undefined;
  }
  if (entry.key === 'list') {
    const name = reader.string(entry);
    if (name === undefined) return undefined;
    const list = scope.lists.get(name);
    if (list === undefined) {
      reader.report(entry, `unknown list "${name}"${didYouMean(name, scope.lists.keys())}`);
      return undefined;
    }
    const bad = list.map((item) => textProblem(field, item)).find((p) => p !== undefined);
    if (bad !== undefined) {
      reader.report(entry, `list "${name}": ${bad}`);
      return undefined;
    }
    return setTest(new Set(list), positive);
  }
  const name = reader.matching(entry, FACT_NAME, 'a fact name (1-48 characters of [a-z0-9_])');
  if (name === undefined) return undefined;
  const factField = lookupField(`fact.${name}`);
  if (factField !== undefined) scope.reads.set(factField.path, factField);
  return (value, view) => {
    if (value === undefined) return false;
    const fact = view.fact(name);
    if (fact === undefined) return false;
    return factListItems(fact).has(valueText(value)) === positive;
  };
}

function setTest(set: ReadonlySet<string>, positive: boolean): Test {
  return (value) => value !== undefined && set.has(valueText(value)) === positive;
}

/** gt / gte / lt / lte: numbers numerically, strings as strings (e.g. time.clock against "18:00"). */
function compileOrder(reader: YamlReader, field: Field, op: string, at: At): Test | undefined {
  if (field.type === 'kind' || field.type === 'weekday' || field.type === 'boolean') {
    reader.report(at, `${op} cannot compare ${field.path} (only numbers and strings are ordered)`);
    return undefined;
  }
  let operand: Operand | undefined;
  if (field.type === 'number' || field.type === 'clock' || field.type === 'date') {
    operand = readOperand(reader, field, at);
  } else {
    const node = at.node;
    operand = isScalar(node) && typeof node.value === 'number' ? node.value : reader.string(at);
  }
  if (operand === undefined) return undefined;
  const compare = ORDER[op] as (a: number | string, b: number | string) => boolean;
  if (typeof operand === 'number') {
    const bound = operand;
    return (value) => {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      return !Number.isNaN(n) && value !== '' && compare(n, bound);
    };
  }
  const bound = String(operand);
  return (value) => value !== undefined && compare(valueText(value), bound);
}

const ORDER: Readonly<Record<string, (a: number | string, b: number | string) => boolean>> = {
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b,
};

/** A scalar operand of the field's type (kinds, weekdays, hours, clock times … checked here). */
function readOperand(reader: YamlReader, field: Field, at: At): Operand | undefined {
  switch (field.type) {
    case 'number':
      return reader.integer(at, field.min, field.max);
    case 'boolean':
      return reader.boolean(at);
    case 'kind':
      return reader.oneOf(at, KINDS);
    case 'weekday':
      return reader.oneOf(at, WEEKDAYS);
    case 'text':
      return reader.string(at, true);
    default: {
      const text = reader.string(at);
      if (text === undefined) return undefined;
      const problem = textProblem(field, text);
      if (problem !== undefined) {
        reader.report(at, problem);
        return undefined;
      }
      return text;
    }
  }
}

/** Why `text` (an item of a named list) can never be a value of the field, or undefined. */
function textProblem(field: Field, text: string): string | undefined {
  switch (field.type) {
    case 'kind':
      return isEventKind(text) ? undefined : `"${text}" is not one of ${KINDS.join(', ')}`;
    case 'weekday':
      return (WEEKDAYS as readonly string[]).includes(text)
        ? undefined
        : `"${text}" is not a weekday (mon…sun)`;
    case 'number': {
      const n = /^[0-9]{1,2}$/.test(text) ? Number(text) : Number.NaN;
      return n >= field.min && n <= field.max
        ? undefined
        : `"${text}" is not from ${field.min} to ${field.max}`;
    }
    case 'boolean':
      return text === 'true' || text === 'false' ? undefined : `"${text}" is not true or false`;
    case 'clock':
      return parseClock(text) === undefined ? `"${text}" is not a time HH:MM` : undefined;
    case 'date':
      return parseDay(text) === undefined ? `"${text}" is not a date YYYY-MM-DD` : undefined;
    default:
      return undefined;
  }
}
