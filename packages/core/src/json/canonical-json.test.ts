import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, parseCanonicalJson } from './canonical-json.js';
import { JsonError, type JsonErrorCode, MAX_JSON_DEPTH } from './json-error.js';

function expectCode(fn: () => unknown, code: JsonErrorCode): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JsonError);
    expect((e as JsonError).code).toBe(code);
    return;
  }
  throw new Error(`expected JsonError ${code}`);
}

const fromIeee = (hex: string): number =>
  new DataView(Uint8Array.from(Buffer.from(hex, 'hex')).buffer).getFloat64(0);

// RFC 8785 §3.2.2 input (as JSON text, escapes kept) and §3.2.3 output.
const RFC_INPUT = String.raw`{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`;
const RFC_OUTPUT = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
// RFC 8785 §3.2.4: the UTF-8 bytes of the output above, as the RFC prints them.
const RFC_OUTPUT_HEX = `
  7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
  75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
  5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
  65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
  5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
  30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d`.replace(/\s+/g, '');

// RFC 8785 Appendix B: IEEE 754 double (hex) -> JSON text.
const APPENDIX_B: [string, string][] = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
];

describe('canonicalJson (RFC 8785 examples)', () => {
  it('canonicalises the §3.2.2 sample to the §3.2.3 text and §3.2.4 bytes', () => {
    const out = canonicalJson(JSON.parse(RFC_INPUT));
    expect(out).toBe(RFC_OUTPUT);
    expect(Buffer.from(out, 'utf8').toString('hex')).toBe(RFC_OUTPUT_HEX);
  });

  it.each(APPENDIX_B)('serialises the Appendix B double %s as %s', (hex, text) => {
    expect(canonicalJson(fromIeee(hex))).toBe(text);
    if (hex !== '8000000000000000') expect(parseCanonicalJson(text)).toBe(fromIeee(hex));
  });

  it('rejects the Appendix B NaN and Infinity', () => {
    expectCode(() => canonicalJson(fromIeee('7fffffffffffffff')), 'UNSUPPORTED_VALUE');
    expectCode(() => canonicalJson(fromIeee('7ff0000000000000')), 'UNSUPPORTED_VALUE');
  });

  it('sorts member names by UTF-16 code units (the §3.2.3 sorting sample)', () => {
    const input = String.raw`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`;
    const text = canonicalJson(JSON.parse(input));
    const names = [...text.matchAll(/:"([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
  });
});

describe('canonicalJson', () => {
  it('writes nested values without white space', () => {
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true })).toBe(
      '{"a":true,"b":[1,{"c":"x","d":null}]}',
    );
    expect(canonicalJson(Object.assign(Object.create(null) as object, { z: 1, y: 2 }))).toBe('{"y":2,"z":1}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson(-0)).toBe('0');
  });

  it('escapes only what JCS requires', () => {
    expect(canonicalJson('\u0000\u0008\u0009\u000a\u000c\u000d\u001f"\\/\u007f\u2028\u00e9')).toBe(
      '"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\u007f\u2028\u00e9"',
    );
  });

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  it.each([
    ['undefined', undefined],
    ['a member set to undefined', { a: undefined }],
    ['an undefined array item', [undefined]],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a bigint', 1n],
    ['NaN', Number.NaN],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a class instance', new (class Point {})()],
    ['a typed array', new Uint8Array(1)],
    ['a symbol key', { [Symbol('k')]: 1 }],
    ['a sparse array', sparse],
    ['a cycle', cyclic],
    ['a lone surrogate', '\ud800'],
    ['a lone surrogate in a name', { '\udc00': 1 }],
    ['deep nesting', JSON.parse('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1))],
  ])('rejects %s', (_, value) => {
    expectCode(() => canonicalJson(value), 'UNSUPPORTED_VALUE');
  });

  it('accepts a shared (non-cyclic) sub-object and the deepest allowed nesting', () => {
    const shared = { x: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"x":1},{"x":1}]');
    const deep = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    expect(canonicalJson(JSON.parse(deep))).toBe(deep);
  });
});

describe('parseCanonicalJson', () => {
  it('returns the value of canonical text, given as a string or UTF-8 bytes', () => {
    expect(parseCanonicalJson(RFC_OUTPUT)).toEqual(JSON.parse(RFC_INPUT));
    expect(parseCanonicalJson(Buffer.from(RFC_OUTPUT_HEX, 'hex'))).toEqual(JSON.parse(RFC_INPUT));
    expect(parseCanonicalJson('{"__proto__":1}')).toEqual(JSON.parse('{"__proto__":1}'));
  });

  it.each([
    ['the RFC sample before canonicalisation', RFC_INPUT],
    ['white space', '{"a": 1}'],
    ['a trailing newline', '{"a":1}\n'],
    ['unsorted members', '{"b":1,"a":2}'],
    ['duplicate members', '{"a":1,"a":1}'],
    ['1.0', '1.0'],
    ['an exponent', '1E3'],
    ['-0', '-0'],
    ['a number that does not round-trip', '12345678901234567890'],
    ['a number too large for a double', '1e400'],
    ['an escaped letter', '"\\u0041"'],
    ['an escaped slash', '"\\/"'],
    ['an upper-case escape', '"\\u001F"'],
    ['a lone surrogate escape', '"\\ud800"'],
  ])('rejects %s as NOT_CANONICAL', (_, text) => {
    expectCode(() => parseCanonicalJson(text), 'NOT_CANONICAL');
  });

  it.each([
    ['an empty text', ''],
    ['a syntax error', '{"a":}'],
    ['a byte-order mark', '\ufeff{}'],
    ['a single quote string', "'a'"],
    ['NaN', 'NaN'],
    ['a trailing comma', '[1,]'],
    ['nesting deeper than the limit', '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1)],
    ['hostile nesting', '['.repeat(100_000)],
  ])('rejects %s as MALFORMED_JSON', (_, text) => {
    expectCode(() => parseCanonicalJson(text), 'MALFORMED_JSON');
  });

  it('rejects invalid UTF-8 bytes as MALFORMED_JSON', () => {
    expectCode(() => parseCanonicalJson(Uint8Array.of(0x22, 0xff, 0x22)), 'MALFORMED_JSON');
  });

  it('round-trips any JSON value, and the canonical text is a fixed point', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(canonicalJson(parseCanonicalJson(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts a text if and only if it is the canonical text of its value', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 3 }), (text) => {
        const canonical = canonicalJson(JSON.parse(text));
        if (text === canonical) expect(canonicalJson(parseCanonicalJson(text))).toBe(text);
        else expectCode(() => parseCanonicalJson(text), 'NOT_CANONICAL');
      }),
      { numRuns: 300 },
    );
  });
});
