#!/usr/bin/env node
// Generates the WebAssembly SHA-256 kernels of @msi/hash-wasm and writes them, base64-encoded, into
// src/gen/kernel.ts (so the package loads without fs, in Node and in browsers).
//
//   node scripts/generate-kernel.mjs                write src/gen/kernel.ts
//   node scripts/generate-kernel.mjs --check        exit 1 if src/gen/kernel.ts differs from a fresh build
//   node scripts/generate-kernel.mjs --wat <dir>    also write the WAT text of both kernels into <dir>
//
// The kernels are written as WAT text by the code below (every SHA-256 round unrolled, the message
// schedule constant-folded where the input is fixed) and assembled with wabt (a devDependency), which
// is deterministic for a given wabt version (the lockfile pins it). Two modules come out:
//   simd    4 independent messages per call of the inner functions, one per i32x4 lane, with the
//           scalar functions for the remainder (count % 4);
//   scalar  the scalar functions alone, for engines without WebAssembly SIMD.
// Both export the same ABI (see src/kernel.ts):
//   memory                          the instance memory (grown by the caller)
//   pairs(src, dst, count)          count RFC 9162 node hashes: SHA-256(0x01 || 64 bytes at src + 64 i)
//                                   written to dst + 32 i; requires src >= 1 (the byte before src is
//                                   read and discarded)
//   padded(src, dst, count, blocks) SHA-256 of count messages already padded to `blocks` (>= 1) 64-byte
//                                   blocks each, laid out back to back from src, digests to dst + 32 i
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const KERNEL_MODULE_PATH = join(packageDir, 'src', 'gen', 'kernel.ts');

// FIPS 180-4 §4.2.2 and §5.3.3.
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const rotr32 = (x, n) => ((x >>> n) | (x << (32 - n))) >>> 0;
const smallSigma0 = (x) => (rotr32(x, 7) ^ rotr32(x, 18) ^ (x >>> 3)) >>> 0;
const smallSigma1 = (x) => (rotr32(x, 17) ^ rotr32(x, 19) ^ (x >>> 10)) >>> 0;
const hex = (v) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** Instruction builders for one value type. Arguments that appear twice in a result must be local.gets. */
const SIMD = {
  type: 'v128',
  c: (v) => `(v128.const i32x4 ${hex(v)} ${hex(v)} ${hex(v)} ${hex(v)})`,
  add: (a, b) => `(i32x4.add ${a} ${b})`,
  xor: (a, b) => `(v128.xor ${a} ${b})`,
  and: (a, b) => `(v128.and ${a} ${b})`,
  or: (a, b) => `(v128.or ${a} ${b})`,
  shr: (x, n) => `(i32x4.shr_u ${x} (i32.const ${n}))`,
  rotr: (x, n) => `(v128.or (i32x4.shr_u ${x} (i32.const ${n})) (i32x4.shl ${x} (i32.const ${32 - n})))`,
  // Ch(e, f, g) = (e & f) ^ (~e & g); Maj(a, b, c) = c where a != b, else a.
  ch: (e, f, g) => `(v128.bitselect ${f} ${g} ${e})`,
  maj: (a, b, c) => `(v128.bitselect ${c} ${a} (v128.xor ${a} ${b}))`,
};

const SCALAR = {
  type: 'i32',
  c: (v) => `(i32.const ${hex(v)})`,
  add: (a, b) => `(i32.add ${a} ${b})`,
  xor: (a, b) => `(i32.xor ${a} ${b})`,
  and: (a, b) => `(i32.and ${a} ${b})`,
  or: (a, b) => `(i32.or ${a} ${b})`,
  shr: (x, n) => `(i32.shr_u ${x} (i32.const ${n}))`,
  rotr: (x, n) => `(i32.rotr ${x} (i32.const ${n}))`,
  ch: (e, f, g) => `(i32.xor ${g} (i32.and ${e} (i32.xor ${f} ${g})))`,
  maj: (a, b, c) => `(i32.or (i32.and ${a} ${b}) (i32.and ${c} (i32.or ${a} ${b})))`,
};

const get = (name) => `(local.get ${name})`;
const set = (name, value) => `(local.set ${name} ${value})`;

/** One function body: its locals and instructions. */
class FunctionBuilder {
  constructor(ops) {
    this.ops = ops;
    this.locals = new Map();
    this.lines = [];
  }
  local(name, type = this.ops.type) {
    this.locals.set(name, type);
    return name;
  }
  emit(line) {
    this.lines.push(line);
  }
  emitAll(lines) {
    this.lines.push(...lines);
  }
  render(header) {
    const locals = [...this.locals].map(([name, type]) => `    (local ${name} ${type})`);
    return [`  (func ${header}`, ...locals, ...this.lines.map((l) => `    ${l}`), '  )'].join('\n');
  }
}

/**
 * A message-schedule word: either known at generation time ({ value }) or held in a local ({ name }).
 * Known words are folded: W[t] and K[t] + W[t] become constants, zero terms disappear.
 */
const known = (value) => ({ value: value >>> 0 });
const held = (name) => ({ name });

function scheduleWord(fb, w, t) {
  const { ops } = fb;
  let constant = 0;
  const terms = [];
  const addTerm = (word, sigma, fold) => {
    if (word.value !== undefined) constant += fold(word.value);
    else terms.push(sigma(get(word.name)));
  };
  const s0 = (x) => ops.xor(ops.xor(ops.rotr(x, 7), ops.rotr(x, 18)), ops.shr(x, 3));
  const s1 = (x) => ops.xor(ops.xor(ops.rotr(x, 17), ops.rotr(x, 19)), ops.shr(x, 10));
  const id = (x) => x;
  addTerm(w[t - 2], s1, smallSigma1);
  addTerm(w[t - 7], id, id);
  addTerm(w[t - 15], s0, smallSigma0);
  addTerm(w[t - 16], id, id);
  constant >>>= 0;
  if (terms.length === 0) return known(constant);
  let sum = terms.reduce((acc, term) => ops.add(acc, term));
  if (constant !== 0) sum = ops.add(sum, ops.c(constant));
  const name = fb.local(`$w${t}`);
  fb.emit(set(name, sum));
  return held(name);
}

/**
 * Emits the 64 rounds of one compression on the working variables `x` (8 local names, a..h), reading
 * the first 16 schedule words from `w16`. Renames instead of moving: after round i the variable that
 * held h holds the new a, so after 64 rounds (a multiple of 8) every name is back in place.
 */
function emitRounds(fb, x, w16) {
  const { ops } = fb;
  const w = [...w16];
  const t1 = fb.local('$t1');
  let v = [...x];
  for (let t = 0; t < 64; t++) {
    if (t >= 16) w[t] = scheduleWord(fb, w, t);
    const [a, b, c, d, e, f, g, h] = v.map(get);
    const word = w[t];
    const kw = word.value !== undefined ? ops.c(K[t] + word.value) : ops.add(ops.c(K[t]), get(word.name));
    const bigSigma1 = ops.xor(ops.xor(ops.rotr(e, 6), ops.rotr(e, 11)), ops.rotr(e, 25));
    const bigSigma0 = ops.xor(ops.xor(ops.rotr(a, 2), ops.rotr(a, 13)), ops.rotr(a, 22));
    fb.emit(set(t1, ops.add(ops.add(ops.add(h, bigSigma1), ops.ch(e, f, g)), kw)));
    fb.emit(set(v[3], ops.add(d, get(t1))));
    fb.emit(set(v[7], ops.add(get(t1), ops.add(bigSigma0, ops.maj(a, b, c)))));
    v = [v[7], v[0], v[1], v[2], v[3], v[4], v[5], v[6]];
  }
}

const workingVars = (fb) => Array.from({ length: 8 }, (_, i) => fb.local(`$x${i}`));
const savedVars = (fb) => Array.from({ length: 8 }, (_, i) => fb.local(`$s${i}`));

// ---------- scalar (one message) ----------

/** Byte-swaps the i32 expression x (a local.get: it appears twice); wasm has no byte-swap instruction. */
const bswap32 = (x) =>
  `(i32.or (i32.rotr (i32.and ${x} (i32.const 0x00ff00ff)) (i32.const 8)) ` +
  `(i32.rotl (i32.and ${x} (i32.const 0xff00ff00)) (i32.const 8)))`;

/** Loads the block at ptr + offset as schedule words W[0..15]. */
function scalarLoadWords(fb, ptr, offset) {
  const w = [];
  for (let j = 0; j < 16; j++) {
    const name = fb.local(`$w${j}`);
    fb.emit(set(name, `(i32.load offset=${offset + 4 * j} align=1 ${get(ptr)})`));
    fb.emit(set(name, bswap32(get(name))));
    w.push(held(name));
  }
  return w;
}

function scalarStore(fb, x, dst) {
  const tmp = fb.local('$t1');
  x.forEach((name, i) => {
    fb.emit(set(tmp, get(name)));
    fb.emit(`(i32.store offset=${4 * i} align=1 ${get(dst)} ${bswap32(get(tmp))})`);
  });
}

/** $pairs1(src, dst): one node hash, SHA-256(0x01 || src[0..64)), two blocks. */
function scalarPairs() {
  const fb = new FunctionBuilder(SCALAR);
  const q = fb.local('$q', 'i32');
  const x = workingVars(fb);
  const s = savedVars(fb);
  // Block 1 is 0x01 || src[0..63): words are read one byte early and the first byte replaced.
  fb.emit(set(q, `(i32.sub (local.get $src) (i32.const 1))`));
  const w = scalarLoadWords(fb, q, 0);
  fb.emit(set('$w0', `(i32.or (i32.and (local.get $w0) (i32.const 0x00ffffff)) (i32.const 0x01000000))`));
  fb.emitAll(x.map((name, i) => set(name, SCALAR.c(IV[i]))));
  emitRounds(fb, x, w);
  x.forEach((name, i) => {
    fb.emit(set(name, SCALAR.add(get(name), SCALAR.c(IV[i]))));
    fb.emit(set(s[i], get(name)));
  });
  // Block 2 is src[63] || 0x80 || zeros || 520 (the bit length of 65 bytes).
  fb.emit(
    set('$w0', `(i32.or (i32.shl (i32.load8_u offset=64 ${get(q)}) (i32.const 24)) (i32.const 0x00800000))`),
  );
  emitRounds(fb, x, secondPairBlock());
  fb.emitAll(x.map((name, i) => set(name, SCALAR.add(get(name), get(s[i])))));
  scalarStore(fb, x, '$dst');
  return fb.render('$pairs1 (param $src i32) (param $dst i32)');
}

const secondPairBlock = () => [held('$w0'), ...Array.from({ length: 14 }, () => known(0)), known(65 * 8)];

/** $padded1(src, dst, blocks): SHA-256 of one message already padded to `blocks` blocks. */
function scalarPadded() {
  const fb = new FunctionBuilder(SCALAR);
  const x = workingVars(fb);
  const s = savedVars(fb);
  fb.emitAll(s.map((name, i) => set(name, SCALAR.c(IV[i]))));
  fb.emit('(loop $block');
  const w = scalarLoadWords(fb, '$src', 0);
  fb.emitAll(x.map((name, i) => set(name, get(s[i]))));
  emitRounds(fb, x, w);
  fb.emitAll(s.map((name, i) => set(name, SCALAR.add(get(name), get(x[i])))));
  fb.emit('(local.set $src (i32.add (local.get $src) (i32.const 64)))');
  fb.emit('(local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))');
  fb.emit('(br_if $block (local.get $blocks)))');
  scalarStore(fb, s, '$dst');
  return fb.render('$padded1 (param $src i32) (param $dst i32) (param $blocks i32)');
}

// ---------- SIMD (four messages, one per lane) ----------

/** Byte indices of i8x16.shuffle taking 32-bit words [i, j, k, l] of a || b, each byte-swapped. */
const swappedWords = (words) => words.flatMap((word) => [4 * word + 3, 4 * word + 2, 4 * word + 1, 4 * word]);
const plainWords = (words) => words.flatMap((word) => [4 * word, 4 * word + 1, 4 * word + 2, 4 * word + 3]);
const shuffle = (bytes, a, b) => `(i8x16.shuffle ${bytes.join(' ')} ${a} ${b})`;

/**
 * 4x4 transpose of 32-bit words, byte-swapping each word: reads the locals rows[k] (words 0..3 of
 * message k) and sets the locals out[j] (word j of messages 0..3, one per lane). Being its own
 * inverse, the same code turns the lane-wise state back into per-message digests.
 */
function transpose4(fb, rows, out) {
  const t = [0, 1, 2, 3].map((i) => fb.local(`$u${i}`));
  const [r0, r1, r2, r3] = rows.map(get);
  fb.emit(set(t[0], shuffle(swappedWords([0, 4, 1, 5]), r0, r1)));
  fb.emit(set(t[1], shuffle(swappedWords([2, 6, 3, 7]), r0, r1)));
  fb.emit(set(t[2], shuffle(swappedWords([0, 4, 1, 5]), r2, r3)));
  fb.emit(set(t[3], shuffle(swappedWords([2, 6, 3, 7]), r2, r3)));
  fb.emit(set(out[0], shuffle(plainWords([0, 1, 4, 5]), get(t[0]), get(t[2]))));
  fb.emit(set(out[1], shuffle(plainWords([2, 3, 6, 7]), get(t[0]), get(t[2]))));
  fb.emit(set(out[2], shuffle(plainWords([0, 1, 4, 5]), get(t[1]), get(t[3]))));
  fb.emit(set(out[3], shuffle(plainWords([2, 3, 6, 7]), get(t[1]), get(t[3]))));
}

/** Loads one block of each of the 4 messages at ptrs[k] + offset as schedule words W[0..15]. */
function simdLoadWords(fb, ptrs, offset) {
  const rows = [0, 1, 2, 3].map((k) => fb.local(`$r${k}`));
  const w = Array.from({ length: 16 }, (_, j) => fb.local(`$w${j}`));
  for (let quad = 0; quad < 4; quad++) {
    ptrs.forEach((ptr, k) => {
      fb.emit(set(rows[k], `(v128.load offset=${offset + 16 * quad} align=1 ${get(ptr)})`));
    });
    transpose4(fb, rows, w.slice(4 * quad, 4 * quad + 4));
  }
  return w.map(held);
}

function simdStore(fb, x, dst) {
  const rows = [0, 1, 2, 3].map((k) => fb.local(`$r${k}`));
  for (let half = 0; half < 2; half++) {
    transpose4(fb, x.slice(4 * half, 4 * half + 4), rows);
    rows.forEach((row, k) => {
      fb.emit(`(v128.store offset=${32 * k + 16 * half} align=1 ${get(dst)} ${get(row)})`);
    });
  }
}

/** $pairs4(src, dst): four node hashes of the consecutive 64-byte pairs at src. */
function simdPairs() {
  const fb = new FunctionBuilder(SIMD);
  const q = [0, 1, 2, 3].map((k) => fb.local(`$q${k}`, 'i32'));
  const x = workingVars(fb);
  const s = savedVars(fb);
  fb.emitAll(q.map((name, k) => set(name, `(i32.add (local.get $src) (i32.const ${64 * k - 1}))`)));
  const w = simdLoadWords(fb, q, 0);
  fb.emit(set('$w0', SIMD.or(SIMD.and(get('$w0'), SIMD.c(0x00ffffff)), SIMD.c(0x01000000))));
  fb.emitAll(x.map((name, i) => set(name, SIMD.c(IV[i]))));
  emitRounds(fb, x, w);
  x.forEach((name, i) => {
    fb.emit(set(name, SIMD.add(get(name), SIMD.c(IV[i]))));
    fb.emit(set(s[i], get(name)));
  });
  let lanes = `(i32x4.splat (i32.load8_u offset=64 ${get(q[0])}))`;
  for (let k = 1; k < 4; k++)
    lanes = `(i32x4.replace_lane ${k} ${lanes} (i32.load8_u offset=64 ${get(q[k])}))`;
  fb.emit(set('$w0', SIMD.or(`(i32x4.shl ${lanes} (i32.const 24))`, SIMD.c(0x00800000))));
  emitRounds(fb, x, secondPairBlock());
  fb.emitAll(x.map((name, i) => set(name, SIMD.add(get(name), get(s[i])))));
  simdStore(fb, x, '$dst');
  return fb.render('$pairs4 (param $src i32) (param $dst i32)');
}

/** $padded4(src, dst, blocks, stride): four padded messages at src + stride k. */
function simdPadded() {
  const fb = new FunctionBuilder(SIMD);
  const p = [0, 1, 2, 3].map((k) => fb.local(`$p${k}`, 'i32'));
  const x = workingVars(fb);
  const s = savedVars(fb);
  p.forEach((name, k) => {
    fb.emit(set(name, `(i32.add (local.get $src) (i32.mul (local.get $stride) (i32.const ${k})))`));
  });
  fb.emitAll(s.map((name, i) => set(name, SIMD.c(IV[i]))));
  fb.emit('(loop $block');
  const w = simdLoadWords(fb, p, 0);
  fb.emitAll(x.map((name, i) => set(name, get(s[i]))));
  emitRounds(fb, x, w);
  fb.emitAll(s.map((name, i) => set(name, SIMD.add(get(name), get(x[i])))));
  for (const name of p) fb.emit(set(name, `(i32.add ${get(name)} (i32.const 64))`));
  fb.emit('(local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))');
  fb.emit('(br_if $block (local.get $blocks)))');
  simdStore(fb, s, '$dst');
  return fb.render('$padded4 (param $src i32) (param $dst i32) (param $blocks i32) (param $stride i32)');
}

// ---------- exported entry points ----------

/** A loop calling `$step4` while 4 or more items remain (SIMD only), then `$step1` for the rest. */
function batchLoop(simd, name, params, step4Call, step1Call, srcStep) {
  const four = simd
    ? `
    (block $done4
      (loop $next4
        (br_if $done4 (i32.lt_u (local.get $count) (i32.const 4)))
        ${step4Call}
        (local.set $src (i32.add (local.get $src) (i32.mul ${srcStep} (i32.const 4))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
        (local.set $count (i32.sub (local.get $count) (i32.const 4)))
        (br $next4)))`
    : '';
  return `  (func (export "${name}") ${params}${four}
    (block $done1
      (loop $next1
        (br_if $done1 (i32.eqz (local.get $count)))
        ${step1Call}
        (local.set $src (i32.add (local.get $src) ${srcStep}))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $next1))))`;
}

/** The WAT text of one kernel. */
export function kernelWat(variant) {
  const simd = variant === 'simd';
  const funcs = [scalarPairs(), scalarPadded()];
  if (simd) funcs.push(simdPairs(), simdPadded());
  const pairs = batchLoop(
    simd,
    'pairs',
    '(param $src i32) (param $dst i32) (param $count i32)',
    '(call $pairs4 (local.get $src) (local.get $dst))',
    '(call $pairs1 (local.get $src) (local.get $dst))',
    '(i32.const 64)',
  );
  const padded = batchLoop(
    simd,
    'padded',
    '(param $src i32) (param $dst i32) (param $count i32) (param $blocks i32)',
    '(call $padded4 (local.get $src) (local.get $dst) (local.get $blocks) (i32.shl (local.get $blocks) (i32.const 6)))',
    '(call $padded1 (local.get $src) (local.get $dst) (local.get $blocks))',
    '(i32.shl (local.get $blocks) (i32.const 6))',
  );
  return ['(module', '  (memory (export "memory") 1)', ...funcs, pairs, padded, ')', ''].join('\n');
}

/** Assembles both kernels. Deterministic for a given wabt version. */
export async function generateKernels() {
  const wabt = await initWabt();
  const assemble = (variant) => {
    const module = wabt.parseWat(`kernel-${variant}.wat`, kernelWat(variant), { simd: variant === 'simd' });
    try {
      module.validate();
      return Uint8Array.from(module.toBinary({}).buffer);
    } finally {
      module.destroy();
    }
  };
  return { simd: assemble('simd'), scalar: assemble('scalar') };
}

/** The text of src/gen/kernel.ts for the given kernels. */
export function renderKernelModule(kernels) {
  const b64 = (bytes) => Buffer.from(bytes).toString('base64');
  return [
    '// Code generated by scripts/generate-kernel.mjs (pnpm build:kernel). DO NOT EDIT.',
    '',
    `/** SHA-256 kernel using WebAssembly SIMD (4 messages at a time, one per i32x4 lane), ${kernels.simd.length} bytes. */`,
    `export const KERNEL_SIMD_BASE64 =\n  '${b64(kernels.simd)}';`,
    '',
    `/** SHA-256 kernel without SIMD, for engines lacking it, ${kernels.scalar.length} bytes. */`,
    `export const KERNEL_SCALAR_BASE64 =\n  '${b64(kernels.scalar)}';`,
    '',
  ].join('\n');
}

async function main(args) {
  const check = args.includes('--check');
  const watIndex = args.indexOf('--wat');
  const text = renderKernelModule(await generateKernels());
  if (watIndex >= 0) {
    const dir = resolve(args[watIndex + 1] ?? '.');
    mkdirSync(dir, { recursive: true });
    for (const variant of ['simd', 'scalar'])
      writeFileSync(join(dir, `kernel-${variant}.wat`), kernelWat(variant));
  }
  if (check) {
    if (readFileSync(KERNEL_MODULE_PATH, 'utf8') !== text) {
      console.error('src/gen/kernel.ts is stale: run pnpm build:kernel');
      process.exitCode = 1;
    }
    return;
  }
  mkdirSync(dirname(KERNEL_MODULE_PATH), { recursive: true });
  writeFileSync(KERNEL_MODULE_PATH, text);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
