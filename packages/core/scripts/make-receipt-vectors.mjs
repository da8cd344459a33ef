// Regenerates packages/core/testdata/receipts/: receipts (docs/PROOFS.md §8), publications (§10), the
// keys that verify them and, for each vector, the trust it is verified with and the expected verdict.
//
// Usage (from the repository root; the script runs the compiled core, so build it first):
//   npx tsc -b packages/core && node packages/core/scripts/make-receipt-vectors.mjs
//
// Deterministic: keys come from SHA-256 of fixed labels, times from a fixed base (2025-06-01), Ed25519
// signatures are deterministic, so a rerun reproduces the files byte for byte. Seal and round records
// are written here byte by byte from the tables of docs/PROOFS.md (not with the core's encoders, which
// refuse the malformed ones), and the honest ones are checked against the core's encoders. Every
// vector is verified by the core before it is written: a vector that does not end with its expected
// code (for the reason its name gives) stops the script.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MerkleTree, portableHasher } from '@msi/merkle';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  assembleReceipt,
  canonicalJson,
  cosignatureMessage,
  cosignCheckpoint,
  decodeEvent,
  encodeBase64,
  encodeEvent,
  encodeRound,
  encodeSeal,
  extendReceipt,
  formatCheckpointBody,
  formatNote,
  formatPublication,
  generateNoteKey,
  imprintOf,
  mintUuidV7,
  NOTE_ALG_COSIGNATURE_V1,
  parseNote,
  parsePublication,
  parseVerifierKey,
  portableEd25519,
  receiptToJson,
  signNoteText,
  verifyReceipt,
  verifyReceiptAgainstPublication,
} from '../dist/index.js';

const hasher = portableHasher();
const OUT = fileURLToPath(new URL('../testdata/receipts/', import.meta.url));
const text = new TextEncoder();

// ---------------------------------------------------------------------------------------------- keys

const seedOf = (label) => sha256(utf8ToBytes(`msi-test-vector/receipts/${label}`));
const key = (label, name, algorithm) => ({
  label,
  seed: seedOf(label),
  ...generateNoteKey(name, seedOf(label), algorithm),
});
const LOG = key('log', 'msi.example/calendar');
const IMPOSTOR = key('impostor', 'msi.example/calendar'); // the log's name, another key
const OTHER_LOG = key('other-log', 'msi.example/other');
const BROKEN_LOG = key('broken-log', 'msi.example/broken-calendar');
const WA = key('witness-a', 'witness.example/a', NOTE_ALG_COSIGNATURE_V1);
const WB = key('witness-b', 'witness.example/b', NOTE_ALG_COSIGNATURE_V1);
const WC = key('witness-c', 'witness.example/c', NOTE_ALG_COSIGNATURE_V1);
const KEYS = [LOG, IMPOSTOR, OTHER_LOG, BROKEN_LOG, WA, WB, WC];

// --------------------------------------------------------------------------------------------- times

/** 2025-06-01T00:00:00Z in milliseconds. */
const BASE_MS = 1_748_736_000_000;
const micros = (offsetMs) => (BASE_MS + offsetMs) * 1000;
const seconds = (us) => Math.floor(us / 1_000_000);
/** closed_at of round k of both calendars: one second apart. */
const closedAt = (k) => micros(1000 * (k + 1));

// -------------------------------------------------------------------------------------------- events

/** A valid event of round `k`, the `i`th of it; `overrides` replace fields (encodeEvent validates). */
function event(label, k, i, overrides = {}) {
  const at = 1000 * k + 10 * i + 1;
  return {
    tenant: 'acme',
    eventId: mintUuidV7(BASE_MS + at, seedOf(`event/${label}`).subarray(0, 16)),
    kind: 'STORE',
    data: imprintOf('sha256', utf8ToBytes(label)),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'alice',
    submitter: 'svc-uploader',
    source: { system: 's3', region: 'eu-west-1', host: '' },
    destination: { system: '', region: '', host: '' },
    occurredAt: micros(at),
    receivedAt: micros(at) + 500,
    parents: [],
    attributes: [{ key: 'classification', value: 'pii' }],
    nonce: seedOf(`event/${label}/nonce`).subarray(0, 16),
    ...overrides,
  };
}

/** `bytes` with the only occurrence of `from` replaced by `to`. */
function replaceOnce(bytes, from, to) {
  const hex = bytesToHex(bytes);
  const find = bytesToHex(from);
  const at = hex.indexOf(find);
  if (at < 0 || at % 2 !== 0 || hex.indexOf(find, at + 1) >= 0) throw new Error(`not exactly one ${find}`);
  return Uint8Array.from(Buffer.from(hex.slice(0, at) + bytesToHex(to) + hex.slice(at + find.length), 'hex'));
}

const u64 = (value) => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value));
  return bytes;
};

/** An event's bytes and the received_at its seal takes into max_received_at. */
const entry = (bytes, receivedAt) => ({ bytes, receivedAt });
const valid = (e) => entry(encodeEvent(e), e.receivedAt);

/** Canonical bytes of a valid event, then changed so that they break one rule of §4. */
function brokenEvent(label, k, i, overrides, breakIt, why) {
  const e = event(label, k, i, overrides);
  const bytes = breakIt(encodeEvent(e), e);
  try {
    decodeEvent(bytes);
  } catch (error) {
    if (error.code !== why.code || (why.field !== undefined && error.field !== why.field)) {
      throw new Error(`${label}: ${error.code} ${error.field}, want ${why.code} ${why.field}`);
    }
    return entry(bytes, e.receivedAt);
  }
  throw new Error(`${label}: the broken event decodes`);
}

// ------------------------------------------------------------------------------ records, by the table

/** Seal record v1 (§5), written field by field. */
function sealBytes(s) {
  return Uint8Array.from([
    ...text.encode('MSIS'),
    1,
    ...u64(s.shard).subarray(4),
    ...u64(s.sealNumber),
    ...u64(s.streamStart),
    ...u64(s.streamEnd),
    ...u64(s.leafCount),
    ...u64(s.maxReceivedAt),
    ...s.root,
  ]);
}

/** Round record v1 (§6), written field by field. */
function roundBytes(r) {
  return Uint8Array.from([
    ...text.encode('MSIR'),
    1,
    ...u64(r.round),
    ...u64(r.closedAt),
    ...u64(r.intervalMs).subarray(4),
    ...u64(r.sealsStart),
    ...u64(r.sealsEnd),
    ...u64(r.sealCount).subarray(4),
    ...r.root,
  ]);
}

const same = (a, b) => bytesToHex(a) === bytesToHex(b);

/**
 * A calendar from `rounds[k] = { seals: [{ shard, events: [entry], ...record overrides }], ...record
 * overrides }`. Honest values are derived (seal numbers and stream sequences per shard, seals_start
 * = the previous seals_end, starting at 1); overrides make dishonest records. With `honest`, every
 * record must equal the core's encoding of it.
 */
function buildCalendar(rounds, honest) {
  const nextSeal = new Map();
  const nextStream = new Map();
  let sealsEnd = 1;
  const built = rounds.map((round, k) => {
    const seals = round.seals.map(({ shard, events, ...overrides }) => {
      const tree = MerkleTree.fromLeaves(
        hasher,
        events.map((e) => e.bytes),
      );
      const start = nextStream.get(shard) ?? 1;
      const record = {
        shard,
        sealNumber: nextSeal.get(shard) ?? 0,
        streamStart: start,
        streamEnd: start + events.length,
        leafCount: events.length,
        maxReceivedAt: Math.max(...events.map((e) => e.receivedAt)),
        root: tree.root(),
        ...overrides,
      };
      nextSeal.set(shard, record.sealNumber + 1);
      nextStream.set(shard, start + events.length);
      const bytes = sealBytes(record);
      if (honest && !same(bytes, encodeSeal(record))) throw new Error('seal table and core differ');
      return { events, tree, bytes };
    });
    const { seals: _, ...overrides } = round;
    const tree = MerkleTree.fromLeaves(
      hasher,
      seals.map((s) => s.bytes),
    );
    const record = {
      round: k,
      closedAt: closedAt(k),
      intervalMs: 1000,
      sealsStart: sealsEnd,
      sealsEnd: sealsEnd + seals.length,
      sealCount: seals.length,
      root: tree.root(),
      ...overrides,
    };
    sealsEnd = sealsEnd + seals.length;
    const bytes = roundBytes(record);
    if (honest && !same(bytes, encodeRound(record))) throw new Error('round table and core differ');
    return { record, seals, tree, bytes };
  });
  return {
    rounds: built,
    tree: (size) =>
      MerkleTree.fromLeaves(
        hasher,
        built.slice(0, size).map((r) => r.bytes),
      ),
  };
}

/** The receipt of event `index` of seal `seal` of round `k`, against `note` (a checkpoint of `size`). */
function receiptOf(calendar, [k, seal, index], size, note) {
  const round = calendar.rounds[k];
  const sealed = round.seals[seal];
  return assembleReceipt({
    event: sealed.events[index].bytes,
    eventProof: { leafIndex: index, treeSize: sealed.tree.size, hashes: sealed.tree.inclusionProof(index) },
    seal: sealed.bytes,
    sealProof: { leafIndex: seal, treeSize: round.tree.size, hashes: round.tree.inclusionProof(seal) },
    round: round.bytes,
    roundProof: { leafIndex: k, treeSize: size, hashes: calendar.tree(size).inclusionProof(k) },
    checkpoint: note,
  });
}

/** The body of the checkpoint of the first `size` rounds of `calendar`. */
const bodyOf = (calendar, origin, size, extensions = []) =>
  formatCheckpointBody({ origin, size, root: calendar.tree(size).root(), extensions });

/** The body signed by `log`, then cosigned by each [witness, time] in order. */
function noteOf(body, log, cosigners = []) {
  let note = formatNote({ text: body, signatures: [signNoteText(body, log.signer)] });
  for (const [witness, time] of cosigners) note = cosignCheckpoint(note, witness.signer, time);
  return note;
}

/** The note's signature lines as objects (name, keyId, bytes), and back. */
const linesOf = (note) => parseNote(note).signatures;
const withLines = (note, lines) => formatNote({ text: parseNote(note).text, signatures: lines });
const lineOf = (note, key) => {
  const line = linesOf(note).find((s) => s.name === key.signer.name && s.keyId === key.signer.keyId);
  if (line === undefined) throw new Error(`no line of ${key.label}`);
  return line;
};
const flipByte = (bytes, at, mask = 0x01) => {
  const copy = Uint8Array.from(bytes);
  copy[at] ^= mask;
  return copy;
};

/**
 * An Ed25519 signature of `message` by `key` that only a cofactored verifier accepts: R = [r]B + T
 * with T of order 8, S = r + k·a mod L (k = SHA-512(R || A || M)). §7: MSI checks [S]B − [k]A = R.
 */
function torsionSignature(keyOf, message) {
  const { Point } = ed25519;
  const L = Point.Fn.ORDER;
  const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(keyOf.seed);
  const order8 = Point.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
  const r = bytesToNumberLE(seedOf(`torsion/${keyOf.label}`)) % L;
  const R = Point.BASE.multiply(r).add(order8).toBytes();
  const k = bytesToNumberLE(sha512(Uint8Array.of(...R, ...pointBytes, ...message))) % L;
  const signature = Uint8Array.of(...R, ...numberToBytesLE((r + k * scalar) % L, 32));
  if (!ed25519.verify(signature, message, pointBytes, { zip215: false }))
    throw new Error('not cofactored-valid');
  return signature;
}

// ------------------------------------------------------------------------------- the honest calendar

const H = {
  store: event('store', 0, 0),
  transferOut: event('transfer-cross-tenant', 0, 1, { kind: 'TRANSFER', toTenant: 'globex' }),
  process: event('process', 0, 2, {
    kind: 'PROCESS',
    inputs: [imprintOf('sha256', utf8ToBytes('in'))],
    outputs: [imprintOf('sha3-256', utf8ToBytes('out'))],
  }),
  transferEmpty: event('transfer-empty-to-tenant', 0, 3, { kind: 'TRANSFER' }),
  transferOwn: event('transfer-to-own-tenant', 2, 0, { kind: 'TRANSFER', toTenant: 'acme' }),
  access: event('access', 3, 0, { kind: 'ACCESS', actor: 'bob' }),
  delete: event('delete', 4, 0, { kind: 'DELETE' }),
  state: event('state', 4, 1, { kind: 'STATE', tenant: 'globex' }),
};
H.selfParent = event('parent-is-the-event-itself', 2, 1, { kind: 'ACCESS' });
H.selfParent = { ...H.selfParent, parents: [H.store.eventId, H.selfParent.eventId] };

const honest = buildCalendar(
  [
    {
      seals: [
        { shard: 0, events: [valid(H.store), valid(H.transferOut), valid(H.process)] },
        { shard: 1, events: [valid(H.transferEmpty)] },
      ],
    },
    { seals: [] },
    { seals: [{ shard: 0, events: [valid(H.transferOwn), valid(H.selfParent)] }] },
    { seals: [{ shard: 1, events: [valid(H.access)] }] },
    { seals: [{ shard: 0, events: [valid(H.delete), valid(H.state)] }] },
  ],
  true,
);
const SIZE = honest.rounds.length;
const ORIGIN = LOG.signer.name;
const TA1 = seconds(closedAt(0)) + 1;
const TB1 = TA1 + 1;
const TA = seconds(closedAt(SIZE - 1)) + 2;
const TB = TA + 1;
const body1 = bodyOf(honest, ORIGIN, 1);
const body = bodyOf(honest, ORIGIN, SIZE);
const note1 = noteOf(body1, LOG, [
  [WA, TA1],
  [WB, TB1],
]);
const note = noteOf(body, LOG, [
  [WA, TA],
  [WB, TB],
]);
const where = {
  store: [0, 0, 0],
  transferOut: [0, 0, 1],
  process: [0, 0, 2],
  transferEmpty: [0, 1, 0],
  transferOwn: [2, 0, 0],
  selfParent: [2, 0, 1],
  access: [3, 0, 0],
  delete: [4, 0, 0],
};
const receipt = (name, checkpoint = note, size = SIZE) => receiptOf(honest, where[name], size, checkpoint);
const store = receipt('store');
const extended = extendReceipt(receipt('store', note1, 1), {
  checkpoint: note,
  consistency: honest.tree(SIZE).consistencyProof(1),
});

// ----------------------------------------------------------------------------- the broken calendar
// Records a dishonest or broken issuer could sign. Everything else is right, so each receipt fails
// for one reason only: a verifier that skips that rule accepts it.

const brokenEvents = [
  [
    'event-data-sha1',
    'the data imprint is SHA-1 (0x00, 20 bytes): deprecated (§3)',
    (bytes, e) =>
      replaceOnce(
        bytes,
        Uint8Array.of(33, 1, ...e.data.digest),
        Uint8Array.of(21, 0, ...e.data.digest.subarray(0, 20)),
      ),
    { code: 'EVENT_MALFORMED', field: 'data' },
  ],
  [
    'event-data-ripemd160',
    'the data imprint is RIPEMD-160 (0x02, 20 bytes): deprecated (§3)',
    (bytes, e) =>
      replaceOnce(
        bytes,
        Uint8Array.of(33, 1, ...e.data.digest),
        Uint8Array.of(21, 2, ...e.data.digest.subarray(0, 20)),
      ),
    { code: 'EVENT_MALFORMED', field: 'data' },
  ],
  [
    'event-parent-uuid-v4',
    'a parent whose version nibble is 4: parents are UUIDv7 (§4)',
    (bytes, e) => {
      const v4 = Uint8Array.from(e.parents[0]);
      v4[6] = (v4[6] & 0x0f) | 0x40;
      return replaceOnce(bytes, e.parents[0], v4);
    },
    { code: 'UUID_INVALID', field: 'parents[0]' },
  ],
  [
    'event-to-tenant-not-a-tenant',
    'a TRANSFER to "Globex": upper case is not a tenant (§4)',
    (bytes) => replaceOnce(bytes, text.encode('globex'), text.encode('Globex')),
    { code: 'TENANT_INVALID', field: 'to_tenant' },
  ],
  [
    'event-store-with-to-tenant',
    'a STORE with a to_tenant: only a TRANSFER has one (§4)',
    (bytes) => replaceOnce(bytes, Uint8Array.of(0x01, 0x21, 0x01), Uint8Array.of(0x03, 0x21, 0x01)),
    { code: 'KIND_MISMATCH', field: 'to_tenant' },
  ],
  [
    'event-received-at-zero',
    'received_at is 0: timestamps are not 0 (§4)',
    (bytes, e) => replaceOnce(bytes, u64(e.receivedAt), u64(0)),
    { code: 'TIME_INVALID', field: 'received_at' },
  ],
  [
    'event-attributes-unsorted',
    'the attributes are not sorted by key (§4)',
    (bytes) =>
      replaceOnce(
        bytes,
        Uint8Array.of(0, 2, ...text.encode('aa'), 0, 1, 0x78, 0, 2, ...text.encode('bb'), 0, 1, 0x79),
        Uint8Array.of(0, 2, ...text.encode('bb'), 0, 1, 0x79, 0, 2, ...text.encode('aa'), 0, 1, 0x78),
      ),
    { code: 'EVENT_MALFORMED', field: 'attributes[1].key' },
  ],
  [
    'event-trailing-byte',
    'a byte after the nonce (§2)',
    (bytes) => Uint8Array.of(...bytes, 0),
    { code: 'EVENT_MALFORMED', field: '' },
  ],
];
const parentOf = mintUuidV7(BASE_MS + 1, seedOf('event/parent').subarray(0, 16));
const brokenOverrides = {
  'event-parent-uuid-v4': { parents: [parentOf] },
  'event-to-tenant-not-a-tenant': { kind: 'TRANSFER', toTenant: 'globex' },
  'event-store-with-to-tenant': { kind: 'TRANSFER', toTenant: 'globex' },
  'event-attributes-unsorted': {
    attributes: [
      { key: 'aa', value: 'x' },
      { key: 'bb', value: 'y' },
    ],
  },
};
const brokenSeal0 = brokenEvents.map(([name, , breakIt, why], i) =>
  brokenEvent(name, 0, i, brokenOverrides[name] ?? {}, breakIt, why),
);
const late = event('received-after-seal', 0, 20);
const lone = (label, k) => valid(event(label, k, 30));
const broken = buildCalendar(
  [
    {
      seals: [
        { shard: 0, events: brokenSeal0 },
        { shard: 1, events: [valid(late)], maxReceivedAt: late.receivedAt - 1 },
        { shard: 2, events: [lone('seal-stream-end-equals-start', 0)], streamEnd: 1 },
        { shard: 3, events: [lone('seal-leaf-count-zero', 0)], leafCount: 0 },
        { shard: 4, events: [lone('seal-max-received-at-zero', 0)], maxReceivedAt: 0 },
        { shard: 5, events: [lone('seal-after-round-closed', 0)], maxReceivedAt: closedAt(0) + 1 },
      ],
    },
    { seals: [{ shard: 0, events: [lone('round-seals-end-below-start', 1)] }], sealsEnd: 0 },
    { seals: [{ shard: 0, events: [lone('round-closed-at-zero', 2)] }], closedAt: 0 },
    { seals: [{ shard: 0, events: [lone('round-interval-zero', 3)] }], intervalMs: 0 },
    {
      seals: [
        { shard: 0, events: [lone('round-seal-count-above-range', 4)] },
        { shard: 1, events: [lone('round-seal-count-above-range/2', 4)] },
      ],
      sealsEnd: 11, // seals_start 10, so one sequence for two seals
    },
  ],
  false,
);
const BROKEN_ORIGIN = BROKEN_LOG.signer.name;
const brokenNote = noteOf(bodyOf(broken, BROKEN_ORIGIN, broken.rounds.length), BROKEN_LOG);
const brokenReceipt = (at) => receiptOf(broken, at, broken.rounds.length, brokenNote);

// --------------------------------------------------------------------------------------------- trust

const vk = (k) => k.verifierKey;
const FULL = { logKeys: [vk(LOG)], witnessKeys: [vk(WA), vk(WB)], quorum: 2, strict: true };
const LOG_ONLY = { logKeys: [vk(LOG)], witnessKeys: [], quorum: 0, strict: false };
const BROKEN_TRUST = { logKeys: [vk(BROKEN_LOG)], witnessKeys: [], quorum: 0, strict: true };

// ------------------------------------------------------------------------------------------- vectors

const vectors = [];
const files = new Map();

/**
 * Adds a vector; `file` holds `content` (a receipt, text or bytes), under valid/ or invalid/ after the
 * verdict unless `file` names its folder (a receipt verified with other trust).
 */
function add(name, description, file, content, trust, want, expect) {
  const path = file.includes('/') ? `${file}.json` : `${want === 'VALID' ? 'valid' : 'invalid'}/${file}.json`;
  const bytes =
    typeof content === 'string'
      ? text.encode(content)
      : content instanceof Uint8Array
        ? content
        : text.encode(`${receiptToJson(content)}\n`);
  const known = files.get(path);
  if (known !== undefined && !same(known, bytes)) throw new Error(`${path} written twice`);
  files.set(path, bytes);
  vectors.push({ name, description, receipt: path, trust, want, ...(expect ? { expect } : {}) });
}

const witness = (k, time) => ({ name: k.signer.name, time });
const expectOf = (
  name,
  { size = SIZE, witnesses = [], unverified = [], extendedTo, logKeys = [ORIGIN] } = {},
) => {
  const [k] = where[name];
  return {
    round: k,
    closedAt: closedAt(k),
    checkpointSize: size,
    origin: ORIGIN,
    logKeys,
    witnesses,
    unverified,
    ...(extendedTo === undefined ? {} : { extendedTo }),
  };
};
const bothWitnesses = [witness(WA, TA), witness(WB, TB)];

// valid receipts
add(
  'store',
  'a STORE in a seal of three events; every line trusted, strict, quorum 2',
  'store',
  store,
  FULL,
  'VALID',
  expectOf('store', { witnesses: bothWitnesses }),
);
add(
  'log-key-only',
  'the same receipt with only the log key: the witness lines are listed, not checked',
  'store',
  store,
  LOG_ONLY,
  'VALID',
  expectOf('store', { unverified: [WA.signer.name, WB.signer.name] }),
);
add(
  'transfer-cross-tenant',
  'a TRANSFER to another tenant',
  'transfer-cross-tenant',
  receipt('transferOut'),
  FULL,
  'VALID',
  expectOf('transferOut', { witnesses: bothWitnesses }),
);
add(
  'process',
  'a PROCESS with one input and one output',
  'process',
  receipt('process'),
  FULL,
  'VALID',
  expectOf('process', { witnesses: bothWitnesses }),
);
add(
  'transfer-empty-to-tenant',
  'a TRANSFER with an empty to_tenant (within the tenant), alone in its seal: an empty event proof',
  'transfer-empty-to-tenant',
  receipt('transferEmpty'),
  FULL,
  'VALID',
  expectOf('transferEmpty', { witnesses: bothWitnesses }),
);
add(
  'transfer-to-own-tenant',
  'a TRANSFER whose to_tenant is its own tenant: ingest refuses it today, a decoder MUST accept it (§4)',
  'transfer-to-own-tenant',
  receipt('transferOwn'),
  FULL,
  'VALID',
  expectOf('transferOwn', { witnesses: bothWitnesses }),
);
add(
  'parent-is-the-event-itself',
  'an event that names itself as a parent: ingest refuses it today, a decoder MUST accept it (§4)',
  'parent-is-the-event-itself',
  receipt('selfParent'),
  FULL,
  'VALID',
  expectOf('selfParent', { witnesses: bothWitnesses }),
);
add(
  'access-last-round',
  'an ACCESS in round 3 of 5',
  'access',
  receipt('access'),
  FULL,
  'VALID',
  expectOf('access', { witnesses: bothWitnesses }),
);
add(
  'extended',
  'a receipt of checkpoint size 1 extended to size 5: the earliest cosignature of each witness counts',
  'extended',
  extended,
  FULL,
  'VALID',
  expectOf('store', { size: 1, witnesses: [witness(WA, TA1), witness(WB, TB1)], extendedTo: SIZE }),
);
add(
  'checkpoint-size-1',
  'a receipt of checkpoint size 1, not extended',
  'checkpoint-size-1',
  receipt('store', note1, 1),
  FULL,
  'VALID',
  expectOf('store', { size: 1, witnesses: [witness(WA, TA1), witness(WB, TB1)] }),
);
const sameSize = extendReceipt(store, { checkpoint: note, consistency: [] });
add(
  'extended-to-the-same-size',
  'an extension to the same checkpoint: an empty consistency proof',
  'extended-to-the-same-size',
  sameSize,
  FULL,
  'VALID',
  expectOf('store', { witnesses: bothWitnesses, extendedTo: SIZE }),
);
const withC = cosignCheckpoint(note, WC.signer, TB + 1);
add(
  'untrusted-witness-line',
  'a third witness the caller does not trust: listed, not checked (not strict)',
  'untrusted-witness-line',
  receipt('store', withC),
  { ...FULL, strict: false },
  'VALID',
  expectOf('store', { witnesses: bothWitnesses, unverified: [WC.signer.name] }),
);
const early = noteOf(body, LOG, [[WA, seconds(closedAt(0)) - 60]]);
add(
  'witness-time-before-closed-at',
  'a cosignature time T a minute before the round closed: T and closed_at are independent claims (§7)',
  'witness-time-before-closed-at',
  receipt('store', early),
  { logKeys: [vk(LOG)], witnessKeys: [vk(WA)], quorum: 1, strict: true },
  'VALID',
  expectOf('store', { witnesses: [witness(WA, seconds(closedAt(0)) - 60)] }),
);
const laterA = lineOf(noteOf(body, LOG, [[WA, TA + 100]]), WA);
const [logLine0, aLine0, bLine0] = linesOf(note);
const repeatedA = withLines(note, [logLine0, laterA, aLine0, bLine0]);
add(
  'witness-lines-repeated',
  'two valid lines of witness A, the later first: its time is the earliest (§7)',
  'witness-lines-repeated',
  receipt('store', repeatedA),
  FULL,
  'VALID',
  expectOf('store', { witnesses: bothWitnesses }),
);
const repeatedLog = withLines(note, [linesOf(note)[0], ...linesOf(note)]);
add(
  'log-line-repeated',
  'the log line twice: each verifies',
  'log-line-repeated',
  receipt('store', repeatedLog),
  FULL,
  'VALID',
  expectOf('store', { witnesses: bothWitnesses }),
);

// step 1: the JSON text
const storeText = receiptToJson(store);
const json = JSON.parse(storeText);
const canonical = (value) => `${canonicalJson(value)}\n`;
const without = (value, member) => Object.fromEntries(Object.entries(value).filter(([k]) => k !== member));
add(
  'not-json',
  'the text ends inside the object',
  'not-json',
  storeText.slice(0, -1),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'not-utf8',
  'a byte 0xff inside the checkpoint string: not UTF-8 (read as U+FFFD it would be JSON)',
  'not-utf8',
  Uint8Array.of(
    ...text.encode(storeText.slice(0, storeText.indexOf('"checkpoint":"') + 14)),
    0xff,
    ...text.encode(storeText.slice(storeText.indexOf('"checkpoint":"') + 14)),
  ),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'trailing-garbage',
  'a character after the JSON text',
  'trailing-garbage',
  `${storeText}x`,
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'two-final-newlines',
  'two newlines after the JSON text (one is allowed)',
  'two-final-newlines',
  `${storeText}\n\n`,
  FULL,
  'RECEIPT_NOT_CANONICAL',
);
add(
  'final-crlf',
  'CR LF after the JSON text',
  'final-crlf',
  `${storeText}\r\n`,
  FULL,
  'RECEIPT_NOT_CANONICAL',
);
add(
  'members-reordered',
  'version first: members not sorted',
  'members-reordered',
  `${JSON.stringify({ version: 1, ...json })}\n`,
  FULL,
  'RECEIPT_NOT_CANONICAL',
);
add(
  'space-after-colon',
  'insignificant white space',
  'space-after-colon',
  `${storeText.replace('"version":1', '"version": 1')}\n`,
  FULL,
  'RECEIPT_NOT_CANONICAL',
);
add(
  'escaped-letter',
  'a letter of the checkpoint written as \\u0041-style escape',
  'escaped-letter',
  `${storeText.replace('"checkpoint":"m', '"checkpoint":"\\u006d')}\n`,
  FULL,
  'RECEIPT_NOT_CANONICAL',
);
add(
  'version-2',
  'version 2, every member of version 1',
  'version-2',
  canonical({ ...json, version: 2 }),
  FULL,
  'UNSUPPORTED_VERSION',
);
add(
  'version-2-other-members',
  'version 2 with members version 1 does not have: the version is checked first',
  'version-2-other-members',
  canonical({ version: 2, proofs: [] }),
  FULL,
  'UNSUPPORTED_VERSION',
);
add(
  'version-2-not-canonical',
  'version 2 with white space: canonical form is checked before the version',
  'version-2-not-canonical',
  '{"version": 2}\n',
  FULL,
  'RECEIPT_NOT_CANONICAL',
);
add(
  'version-string',
  'version "1", a string',
  'version-string',
  canonical({ ...json, version: '1' }),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'version-missing',
  'no version member',
  'version-missing',
  canonical(without(json, 'version')),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'member-missing',
  'no seal member',
  'member-missing',
  canonical(without(json, 'seal')),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'member-unknown',
  'a member version 1 does not have',
  'member-unknown',
  canonical({ ...json, note: 'x' }),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'extension-null',
  'extension: null (absent members are left out, never null)',
  'extension-null',
  canonical({ ...json, extension: null }),
  FULL,
  'RECEIPT_MALFORMED',
);
// A 32-byte hash is 43 characters and "=": the 43rd carries 2 unused bits, zero in canonical base64.
const [h0, h1] = json.eventProof.hashes;
const unusedBit = `${h0.slice(0, 42)}${String.fromCharCode(h0.charCodeAt(42) + 1)}=`;
add(
  'base64-unused-bits',
  'an event proof hash whose last character has a non-zero unused bit',
  'base64-unused-bits',
  canonical({ ...json, eventProof: { ...json.eventProof, hashes: [unusedBit, h1] } }),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'base64-without-padding',
  'an event proof hash without its "=" padding',
  'base64-without-padding',
  canonical({ ...json, eventProof: { ...json.eventProof, hashes: [h0.slice(0, 43), h1] } }),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'leaf-index-fraction',
  'leafIndex 0.5',
  'leaf-index-fraction',
  canonical({ ...json, eventProof: { ...json.eventProof, leafIndex: 0.5 } }),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'leaf-index-negative',
  'leafIndex -1',
  'leaf-index-negative',
  canonical({ ...json, eventProof: { ...json.eventProof, leafIndex: -1 } }),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'leaf-index-2^53',
  'leafIndex 2^53, above 2^53 − 1',
  'leaf-index-2^53',
  canonical({ ...json, eventProof: { ...json.eventProof, leafIndex: 2 ** 53 } }),
  FULL,
  'RECEIPT_MALFORMED',
);

// step 2: the event (broken calendar, proofs right)
brokenEvents.forEach(([name, description], i) => {
  add(name, description, name, brokenReceipt([0, 0, i]), BROKEN_TRUST, 'EVENT_MALFORMED');
});

// step 3: the event in its seal
const mutate = (r, change) => ({ ...r, ...change(r) });
const proofWith = (p, hashes) => ({ ...p, hashes });
add(
  'event-byte-flipped',
  'one bit of the actor flipped',
  'event-byte-flipped',
  mutate(store, (r) => ({ event: replaceOnce(r.event, text.encode('alice'), text.encode('alicf')) })),
  FULL,
  'EVENT_PROOF_INVALID',
);
add(
  'event-proof-hash-modified',
  'one bit of the first event proof hash flipped',
  'event-proof-hash-modified',
  mutate(store, (r) => ({
    eventProof: proofWith(r.eventProof, [
      flipByte(r.eventProof.hashes[0], 5),
      ...r.eventProof.hashes.slice(1),
    ]),
  })),
  FULL,
  'EVENT_PROOF_INVALID',
);
add(
  'event-proof-hash-31-bytes',
  'the first event proof hash has 31 bytes',
  'event-proof-hash-31-bytes',
  mutate(store, (r) => ({
    eventProof: proofWith(r.eventProof, [
      r.eventProof.hashes[0].subarray(1),
      ...r.eventProof.hashes.slice(1),
    ]),
  })),
  FULL,
  'EVENT_PROOF_INVALID',
);
add(
  'event-proof-extra-hash',
  'a hash more than the index and size require',
  'event-proof-extra-hash',
  mutate(store, (r) => ({
    eventProof: proofWith(r.eventProof, [...r.eventProof.hashes, r.eventProof.hashes[0]]),
  })),
  FULL,
  'EVENT_PROOF_INVALID',
);
add(
  'event-proof-index-out-of-range',
  'leafIndex = treeSize',
  'event-proof-index-out-of-range',
  mutate(store, (r) => ({ eventProof: { ...r.eventProof, leafIndex: r.eventProof.treeSize } })),
  FULL,
  'EVENT_PROOF_INVALID',
);
add(
  'event-proof-tree-size-not-leaf-count',
  'treeSize 4 for a seal of leaf_count 3 (leaf 0 has a proof of the same shape in both)',
  'event-proof-tree-size-not-leaf-count',
  mutate(store, (r) => ({ eventProof: { ...r.eventProof, treeSize: 4 } })),
  FULL,
  'EVENT_PROOF_INVALID',
);
add(
  'event-received-after-seal',
  "the event's received_at is after its seal's max_received_at",
  'event-received-after-seal',
  brokenReceipt([0, 1, 0]),
  BROKEN_TRUST,
  'EVENT_PROOF_INVALID',
);
add(
  'seal-stream-end-equals-start',
  'stream_end = stream_start (§5)',
  'seal-stream-end-equals-start',
  brokenReceipt([0, 2, 0]),
  BROKEN_TRUST,
  'SEAL_MALFORMED',
);
add(
  'seal-leaf-count-zero',
  'leaf_count 0 (§5)',
  'seal-leaf-count-zero',
  brokenReceipt([0, 3, 0]),
  BROKEN_TRUST,
  'SEAL_MALFORMED',
);
add(
  'seal-max-received-at-zero',
  'max_received_at 0 (§5)',
  'seal-max-received-at-zero',
  brokenReceipt([0, 4, 0]),
  BROKEN_TRUST,
  'SEAL_MALFORMED',
);
add(
  'seal-truncated',
  'the seal record without its last byte',
  'seal-truncated',
  mutate(store, (r) => ({ seal: r.seal.subarray(0, -1) })),
  FULL,
  'SEAL_MALFORMED',
);
add(
  'seal-version-2',
  'the seal record version byte is 2',
  'seal-version-2',
  mutate(store, (r) => ({ seal: flipByte(r.seal, 4, 0x03) })),
  FULL,
  'SEAL_MALFORMED',
);

// step 4: the seal in its round
add(
  'seal-proof-hash-modified',
  'one bit of the seal proof hash flipped',
  'seal-proof-hash-modified',
  mutate(store, (r) => ({ sealProof: proofWith(r.sealProof, [flipByte(r.sealProof.hashes[0], 31, 0x80)]) })),
  FULL,
  'SEAL_PROOF_INVALID',
);
add(
  'seal-proof-tree-size-not-seal-count',
  'treeSize 3 for a round of seal_count 2',
  'seal-proof-tree-size-not-seal-count',
  mutate(store, (r) => ({ sealProof: { ...r.sealProof, treeSize: 3 } })),
  FULL,
  'SEAL_PROOF_INVALID',
);
add(
  'seal-after-round-closed',
  "the seal's max_received_at is after its round's closed_at",
  'seal-after-round-closed',
  brokenReceipt([0, 5, 0]),
  BROKEN_TRUST,
  'SEAL_PROOF_INVALID',
);
add(
  'round-seals-end-below-start',
  'seals_end < seals_start (§6)',
  'round-seals-end-below-start',
  brokenReceipt([1, 0, 0]),
  BROKEN_TRUST,
  'ROUND_MALFORMED',
);
add(
  'round-closed-at-zero',
  'closed_at 0 (§6)',
  'round-closed-at-zero',
  brokenReceipt([2, 0, 0]),
  BROKEN_TRUST,
  'ROUND_MALFORMED',
);
add(
  'round-interval-zero',
  'interval_ms 0 (§6)',
  'round-interval-zero',
  brokenReceipt([3, 0, 0]),
  BROKEN_TRUST,
  'ROUND_MALFORMED',
);
add(
  'round-seal-count-above-range',
  'seal_count 2 for a seal range of 1 (§6)',
  'round-seal-count-above-range',
  brokenReceipt([4, 0, 0]),
  BROKEN_TRUST,
  'ROUND_MALFORMED',
);

// step 5: the round in the calendar, and the checkpoint's syntax
const noteLines = note.split('\n');
const withNote = (checkpoint) => ({ ...store, checkpoint });
add(
  'round-proof-index-not-round',
  'roundProof.leafIndex 1 for round 0',
  'round-proof-index-not-round',
  mutate(store, (r) => ({ roundProof: { ...r.roundProof, leafIndex: 1 } })),
  FULL,
  'ROUND_PROOF_INVALID',
);
add(
  'round-proof-tree-size-not-checkpoint-size',
  'roundProof.treeSize 6 for a checkpoint of size 5',
  'round-proof-tree-size-not-checkpoint-size',
  mutate(store, (r) => ({ roundProof: { ...r.roundProof, treeSize: 6 } })),
  FULL,
  'ROUND_PROOF_INVALID',
);
add(
  'round-proof-hash-modified',
  'one bit of a round proof hash flipped',
  'round-proof-hash-modified',
  mutate(store, (r) => ({
    roundProof: proofWith(r.roundProof, [
      flipByte(r.roundProof.hashes[0], 0),
      ...r.roundProof.hashes.slice(1),
    ]),
  })),
  FULL,
  'ROUND_PROOF_INVALID',
);
const otherRoot = encodeBase64(flipByte(Uint8Array.from(Buffer.from(noteLines[2], 'base64')), 0));
add(
  'checkpoint-root-modified',
  'the checkpoint root changed (its signature is checked later, step 6)',
  'checkpoint-root-modified',
  withNote(note.replace(`\n${noteLines[2]}\n`, `\n${otherRoot}\n`)),
  FULL,
  'ROUND_PROOF_INVALID',
);
add(
  'checkpoint-no-blank-line',
  'no empty line between body and signatures',
  'checkpoint-no-blank-line',
  withNote(note.replace('\n\n', '\n')),
  FULL,
  'CHECKPOINT_MALFORMED',
);
add(
  'checkpoint-crlf',
  'the body lines end with CR LF',
  'checkpoint-crlf',
  withNote(note.replace(body, body.replaceAll('\n', '\r\n'))),
  FULL,
  'CHECKPOINT_MALFORMED',
);
add(
  'checkpoint-size-leading-zero',
  'size 05',
  'checkpoint-size-leading-zero',
  withNote(note.replace(`\n${SIZE}\n`, `\n0${SIZE}\n`)),
  FULL,
  'CHECKPOINT_MALFORMED',
);
add(
  'checkpoint-root-31-bytes',
  'a root of 31 bytes',
  'checkpoint-root-31-bytes',
  withNote(
    note.replace(
      noteLines[2],
      encodeBase64(Uint8Array.from(Buffer.from(noteLines[2], 'base64')).subarray(1)),
    ),
  ),
  FULL,
  'CHECKPOINT_MALFORMED',
);
add(
  'checkpoint-no-final-newline',
  'the note does not end with a newline',
  'checkpoint-no-final-newline',
  withNote(note.slice(0, -1)),
  FULL,
  'CHECKPOINT_MALFORMED',
);
const cLine = noteLines.find((l) => l.startsWith(`— ${WB.signer.name} `));
add(
  'signature-name-empty',
  'a signature line with an empty name',
  'signature-name-empty',
  withNote(note.replace(cLine, cLine.replace(` ${WB.signer.name} `, '  '))),
  FULL,
  'CHECKPOINT_MALFORMED',
);
add(
  'signature-name-no-break-space',
  'a key name holding U+00A0 NO-BREAK SPACE: names have no white space at all',
  'signature-name-no-break-space',
  withNote(note.replace(cLine, cLine.replace(WB.signer.name, `${WB.signer.name}\u00a0x`))),
  FULL,
  'CHECKPOINT_MALFORMED',
);
add(
  'signature-name-plus',
  'a key name holding +',
  'signature-name-plus',
  withNote(note.replace(cLine, cLine.replace(WB.signer.name, `${WB.signer.name}+x`))),
  FULL,
  'CHECKPOINT_MALFORMED',
);
add(
  'signature-4-bytes',
  'a signature line of 4 bytes: a key id and no signature',
  'signature-4-bytes',
  withNote(note.replace(cLine, `— ${WB.signer.name} ${encodeBase64(Uint8Array.of(1, 2, 3, 4))}`)),
  FULL,
  'CHECKPOINT_MALFORMED',
);
const many = Array.from(
  { length: 98 },
  (_, i) => `— w${i}.example ${encodeBase64(Uint8Array.of(0, 0, 0, i, ...new Uint8Array(64)))}\n`,
);
add(
  'signature-lines-101',
  '101 signature lines (at most 100)',
  'signature-lines-101',
  withNote(`${note}${many.join('')}`),
  { ...FULL, strict: false },
  'CHECKPOINT_MALFORMED',
);

// step 6: the log's signature
const logLine = lineOf(note, LOG);
const withLogLine = (line) => withNote(withLines(note, [line, ...linesOf(note).slice(1)]));
add(
  'log-key-not-trusted',
  "a key of the log's name the checkpoint was not signed with",
  'valid/store',
  store,
  { ...FULL, logKeys: [vk(IMPOSTOR)] },
  'UNTRUSTED_KEY',
);
const byOther = withNote(formatNote({ text: body, signatures: [signNoteText(body, OTHER_LOG.signer)] }));
add(
  'log-key-of-another-origin',
  'the checkpoint signed only by a trusted key of another origin',
  'log-key-of-another-origin',
  byOther,
  { ...LOG_ONLY, logKeys: [vk(LOG), vk(OTHER_LOG)] },
  'UNTRUSTED_KEY',
);
add(
  'log-line-key-id-changed',
  "the log line's key id changed: a line of another key",
  'log-line-key-id-changed',
  withLogLine({ ...logLine, keyId: (logLine.keyId + 1) >>> 0 }),
  LOG_ONLY,
  'UNTRUSTED_KEY',
);
add(
  'log-signature-bit-flipped',
  'one bit of the log signature flipped',
  'log-signature-bit-flipped',
  withLogLine({ ...logLine, bytes: flipByte(logLine.bytes, 10) }),
  FULL,
  'SIGNATURE_INVALID',
);
add(
  'log-line-67-bytes',
  'a log line of 67 bytes (key id and 63), not 68',
  'log-line-67-bytes',
  withLogLine({ ...logLine, bytes: logLine.bytes.subarray(1) }),
  FULL,
  'SIGNATURE_INVALID',
);
add(
  'log-signature-r-small-order-component',
  'an R with a component of order 8: only the cofactored equation accepts it (§7)',
  'log-signature-r-small-order-component',
  withLogLine({ ...logLine, bytes: torsionSignature(LOG, text.encode(body)) }),
  FULL,
  'SIGNATURE_INVALID',
);
add(
  'log-line-repeated-second-invalid',
  'the log line twice, the second with a flipped bit: every trusted line MUST verify',
  'log-line-repeated-second-invalid',
  withNote(
    withLines(note, [logLine, { ...logLine, bytes: flipByte(logLine.bytes, 10) }, ...linesOf(note).slice(1)]),
  ),
  FULL,
  'SIGNATURE_INVALID',
);

// step 7: the extension
const extensionWith = (checkpoint, consistency = honest.tree(SIZE).consistencyProof(1)) =>
  extendReceipt(receipt('store', note1, 1), { checkpoint, consistency });
const otherOriginBody = bodyOf(honest, OTHER_LOG.signer.name, SIZE);
add(
  'extension-of-another-origin',
  'an extension of another (trusted) origin',
  'extension-of-another-origin',
  extensionWith(noteOf(otherOriginBody, OTHER_LOG)),
  { ...FULL, logKeys: [vk(LOG), vk(OTHER_LOG)] },
  'EXTENSION_INVALID',
);
add(
  'extension-smaller',
  'a size-5 receipt extended to size 1',
  'extension-smaller',
  extendReceipt(store, { checkpoint: note1, consistency: [] }),
  FULL,
  'EXTENSION_INVALID',
);
add(
  'extension-not-trusted',
  'an extension signed by a key of the log name the caller does not trust',
  'extension-not-trusted',
  extensionWith(noteOf(body, IMPOSTOR)),
  FULL,
  'UNTRUSTED_KEY',
);
add(
  'extension-signature-bit-flipped',
  "one bit of the extension's log signature flipped",
  'extension-signature-bit-flipped',
  extensionWith(
    withLines(note, [{ ...logLine, bytes: flipByte(logLine.bytes, 3) }, ...linesOf(note).slice(1)]),
  ),
  FULL,
  'SIGNATURE_INVALID',
);
add(
  'extension-checkpoint-malformed',
  "the extension's checkpoint without its empty line",
  'extension-checkpoint-malformed',
  extensionWith(note.replace('\n\n', '\n')),
  FULL,
  'CHECKPOINT_MALFORMED',
);
const consistency = honest.tree(SIZE).consistencyProof(1);
add(
  'consistency-hash-modified',
  'one bit of a consistency proof hash flipped',
  'consistency-hash-modified',
  extensionWith(note, [flipByte(consistency[0], 7), ...consistency.slice(1)]),
  FULL,
  'CONSISTENCY_PROOF_INVALID',
);
add(
  'consistency-proof-empty',
  'an empty consistency proof between sizes 1 and 5',
  'consistency-proof-empty',
  extensionWith(note, []),
  FULL,
  'CONSISTENCY_PROOF_INVALID',
);
add(
  'consistency-same-size-not-empty',
  'a non-empty proof between equal sizes',
  'consistency-same-size-not-empty',
  extendReceipt(store, { checkpoint: note, consistency: [consistency[0]] }),
  FULL,
  'CONSISTENCY_PROOF_INVALID',
);
const fork = noteOf(
  formatCheckpointBody({ origin: ORIGIN, size: SIZE, root: sha256(utf8ToBytes('fork')), extensions: [] }),
  LOG,
);
add(
  'consistency-same-size-other-root',
  'an extension of the same size and another root, signed by the log: a fork',
  'consistency-same-size-other-root',
  extendReceipt(store, { checkpoint: fork, consistency: [] }),
  { ...FULL, quorum: 0 },
  'CONSISTENCY_PROOF_INVALID',
);

// step 8: witnesses, strict mode, quorum
add(
  'untrusted-witness-line-strict',
  'a line of a witness the caller does not trust, in strict mode',
  'valid/untrusted-witness-line',
  receipt('store', withC),
  FULL,
  'UNKNOWN_SIGNATURE',
);
add(
  'witness-key-given-as-log-key',
  'the witness keys given as log keys, in strict mode: nothing checks their lines',
  'valid/store',
  store,
  { logKeys: [vk(LOG), vk(WA), vk(WB)], witnessKeys: [], quorum: 0, strict: true },
  'UNKNOWN_SIGNATURE',
);
const aLine = lineOf(note, WA);
const withALine = (line) =>
  withNote(
    withLines(
      note,
      linesOf(note).map((l) => (l.name === WA.signer.name ? line : l)),
    ),
  );
add(
  'witness-line-key-id-changed-strict',
  "witness A's key id changed: a line of an unknown key, in strict mode",
  'witness-line-key-id-changed',
  withALine({ ...aLine, keyId: (aLine.keyId + 1) >>> 0 }),
  FULL,
  'UNKNOWN_SIGNATURE',
);
add(
  'witness-line-key-id-changed',
  "witness A's key id changed, not strict: A's cosignature is missing",
  'witness-line-key-id-changed',
  withALine({ ...aLine, keyId: (aLine.keyId + 1) >>> 0 }),
  { ...FULL, strict: false },
  'QUORUM_NOT_MET',
);
add(
  'cosignature-bit-flipped',
  "one bit of witness A's signature flipped",
  'cosignature-bit-flipped',
  withALine({ ...aLine, bytes: flipByte(aLine.bytes, 20) }),
  FULL,
  'COSIGNATURE_INVALID',
);
add(
  'cosignature-time-changed',
  "witness A's time T changed by one second",
  'cosignature-time-changed',
  withALine({ ...aLine, bytes: flipByte(aLine.bytes, 7) }),
  FULL,
  'COSIGNATURE_INVALID',
);
add(
  'cosignature-line-75-bytes',
  "witness A's line of 75 bytes (key id, T, 63), not 76",
  'cosignature-line-75-bytes',
  withALine({ ...aLine, bytes: aLine.bytes.subarray(0, -1) }),
  FULL,
  'COSIGNATURE_INVALID',
);
const plain = { ...aLine, bytes: WA.signer.sign(text.encode(body)) };
add(
  'cosignature-without-time',
  "witness A's line is a plain Ed25519 signature of the body (68 bytes)",
  'cosignature-without-time',
  withALine(plain),
  FULL,
  'COSIGNATURE_INVALID',
);
const T53 = 2 ** 53;
const big = Uint8Array.of(...u64(T53), ...WA.signer.sign(cosignatureMessage(body, T53)));
add(
  'cosignature-time-2^53',
  'a cosignature, valid for T = 2^53, above 2^53 − 1',
  'cosignature-time-2^53',
  withALine({ ...aLine, bytes: big }),
  FULL,
  'COSIGNATURE_INVALID',
);
const torsion = Uint8Array.of(...u64(TA), ...torsionSignature(WA, cosignatureMessage(body, TA)));
add(
  'cosignature-r-small-order-component',
  "witness A's R with a component of order 8 (§7)",
  'cosignature-r-small-order-component',
  withALine({ ...aLine, bytes: torsion }),
  FULL,
  'COSIGNATURE_INVALID',
);
add(
  'extension-cosignature-bit-flipped',
  "one bit of witness B's signature on the extension flipped",
  'extension-cosignature-bit-flipped',
  extensionWith(
    withLines(
      note,
      linesOf(note).map((l) => (l.name === WB.signer.name ? { ...l, bytes: flipByte(l.bytes, 30) } : l)),
    ),
  ),
  FULL,
  'COSIGNATURE_INVALID',
);
add(
  'quorum-3',
  'quorum 3 with two trusted witnesses',
  'valid/store',
  store,
  { ...FULL, quorum: 3 },
  'QUORUM_NOT_MET',
);
add(
  'quorum-2-one-witness-trusted',
  'quorum 2 with only witness A trusted',
  'valid/store',
  store,
  { ...FULL, witnessKeys: [vk(WA)], strict: false },
  'QUORUM_NOT_MET',
);

// §10: publications, parsed, and receipts verified against them (no key)
const publications = [];
const publicationFiles = new Map();
const PUBLISHED = TB + 60;
function addPublication(name, description, content, want, expect) {
  const path = `publications/${name}.txt`;
  publicationFiles.set(path, text.encode(content));
  publications.push({ name, description, file: path, want, ...(expect ? { expect } : {}) });
  return path;
}
const published = addPublication(
  'size-5',
  'the checkpoint of size 5 with its cosignatures',
  formatPublication(PUBLISHED, note),
  'VALID',
  { time: PUBLISHED, origin: ORIGIN, size: SIZE },
);
const earlyTime = seconds(closedAt(0)) - 3600;
const publishedEarly = addPublication(
  'time-before-closed-at',
  'a publication time an hour before round 0 closed',
  formatPublication(earlyTime, note),
  'VALID',
  { time: earlyTime, origin: ORIGIN, size: SIZE },
);
const header = 'MSI publication v1\n';
const publicationBody = formatPublication(PUBLISHED, note).slice(header.length);
addPublication(
  'version-2',
  'MSI publication v2',
  `MSI publication v2\n${publicationBody}`,
  'UNSUPPORTED_VERSION',
);
addPublication(
  'version-01',
  'MSI publication v01: N is any run of ASCII digits, only "1" is version 1',
  `MSI publication v01\n${publicationBody}`,
  'UNSUPPORTED_VERSION',
);
addPublication(
  'version-1a',
  'MSI publication v1a',
  `MSI publication v1a\n${publicationBody}`,
  'PUBLICATION_MALFORMED',
);
addPublication(
  'time-with-fraction',
  'a time with a fraction of a second',
  `${header}${publicationBody.replace('Z\n', '.000Z\n')}`,
  'PUBLICATION_MALFORMED',
);
addPublication(
  'time-february-30',
  'February 30',
  `${header}time 2025-02-30T00:00:00Z\n\n${note}`,
  'TIME_OUT_OF_RANGE',
);
addPublication(
  'note-trailing-newline',
  'a newline after the note',
  `${formatPublication(PUBLISHED, note)}\n`,
  'CHECKPOINT_MALFORMED',
);
const prefix = formatPublication(PUBLISHED, note).slice(0, -note.length);
const withExtensionLine = (line) => {
  const lines = note.split('\n');
  lines.splice(3, 0, line);
  return `${prefix}${lines.join('\n')}`;
};
const room = 65_536 - (text.encode(withExtensionLine('a')).length - 1);
const longLine = `${'é'.repeat(Math.floor(room / 2))}${'a'.repeat(room % 2)}`;
addPublication(
  '65536-bytes',
  'exactly 65 536 bytes of UTF-8 (an extension line of é): the limit',
  withExtensionLine(longLine),
  'VALID',
  { time: PUBLISHED, origin: ORIGIN, size: SIZE },
);
addPublication(
  '65537-bytes',
  '65 537 bytes of UTF-8 in fewer than 33 000 characters: the limit counts bytes',
  withExtensionLine(`${longLine}a`),
  'PUBLICATION_MALFORMED',
);

const againstPublication = [];
function addAgainst(name, description, receiptPath, publicationPath, want, expect) {
  againstPublication.push({
    name,
    description,
    receipt: receiptPath,
    publication: publicationPath,
    want,
    ...(expect ? { expect } : {}),
  });
}
addAgainst(
  'checkpoint-is-published',
  "the receipt's checkpoint is the publication's",
  'valid/store.json',
  published,
  'VALID',
  { round: 0, closedAt: closedAt(0), publishedAt: PUBLISHED, matchedBy: 'checkpoint' },
);
addAgainst(
  'extension-is-published',
  "the receipt's extension is the publication's",
  'valid/extended.json',
  published,
  'VALID',
  { round: 0, closedAt: closedAt(0), publishedAt: PUBLISHED, matchedBy: 'extension' },
);
addAgainst(
  'published-before-closed-at',
  'a publication time before closed_at: no relation is checked (§10)',
  'valid/store.json',
  publishedEarly,
  'VALID',
  { round: 0, closedAt: closedAt(0), publishedAt: earlyTime, matchedBy: 'checkpoint' },
);
addAgainst(
  'not-extended-to-the-publication',
  'a receipt of size 1 without an extension, against a publication of size 5',
  'valid/checkpoint-size-1.json',
  published,
  'PUBLICATION_MISMATCH',
);
addAgainst(
  'extension-consistency-modified',
  'the extension is the publication, its consistency proof is not right',
  'invalid/consistency-hash-modified.json',
  published,
  'CONSISTENCY_PROOF_INVALID',
);
addAgainst(
  'signature-lines-not-checked',
  'the log signature is broken: keyless verification does not check it',
  'invalid/log-signature-bit-flipped.json',
  published,
  'VALID',
  { round: 0, closedAt: closedAt(0), publishedAt: PUBLISHED, matchedBy: 'checkpoint' },
);

// ------------------------------------------------------------------------------ check, then write

const ed25519Verifier = portableEd25519();
const trustOf = (t) => ({
  logKeys: t.logKeys.map(parseVerifierKey),
  witnessKeys: t.witnessKeys.map(parseVerifierKey),
  quorum: t.quorum,
  strict: t.strict,
});
const outcome = (run) => {
  try {
    return { verdict: 'VALID', result: run() };
  } catch (error) {
    if (typeof error?.code !== 'string') throw error;
    return { verdict: error.code, error };
  }
};
for (const v of vectors) {
  const got = outcome(() =>
    verifyReceipt(files.get(v.receipt), trustOf(v.trust), { hasher, ed25519: ed25519Verifier }),
  );
  if (got.verdict !== v.want)
    throw new Error(`${v.name}: ${got.verdict} (${got.error?.message}), want ${v.want}`);
  if (v.expect !== undefined) {
    const r = got.result;
    const actual = {
      round: r.round.round,
      closedAt: r.round.closedAt,
      checkpointSize: r.checkpoint.size,
      origin: r.checkpoint.origin,
      logKeys: r.logKeys,
      witnesses: r.witnesses.map((w) => ({ name: w.name, time: w.time })),
      unverified: r.unverifiedSignatures.map((s) => s.name),
      ...(r.extendedTo === undefined ? {} : { extendedTo: r.extendedTo.size }),
    };
    if (JSON.stringify(actual) !== JSON.stringify(v.expect)) {
      throw new Error(`${v.name}: ${JSON.stringify(actual)}, want ${JSON.stringify(v.expect)}`);
    }
  }
}
const decoder = new TextDecoder('utf-8', { fatal: true });
for (const p of publications) {
  const got = outcome(() => parsePublication(decoder.decode(publicationFiles.get(p.file))));
  if (got.verdict !== p.want) throw new Error(`${p.name}: ${got.verdict}, want ${p.want}`);
}
for (const a of againstPublication) {
  const publication = parsePublication(decoder.decode(publicationFiles.get(a.publication)));
  const got = outcome(() => verifyReceiptAgainstPublication(files.get(a.receipt), publication, hasher));
  if (got.verdict !== a.want)
    throw new Error(`${a.name}: ${got.verdict} (${got.error?.message}), want ${a.want}`);
}

for (const dir of ['valid', 'invalid', 'publications'])
  rmSync(`${OUT}${dir}`, { recursive: true, force: true });
for (const dir of ['valid', 'invalid', 'publications']) mkdirSync(`${OUT}${dir}`, { recursive: true });
for (const [path, bytes] of [...files, ...publicationFiles]) writeFileSync(`${OUT}${path}`, bytes);
const keys = Object.fromEntries(
  KEYS.map((k) => [k.label, { name: k.signer.name, verifierKey: k.verifierKey, signerKey: k.signerKey }]),
);
const manifest = {
  about:
    'receipt v1 (§8) and publication v1 (§10) vectors: the file, the trust it is verified with, the verdict',
  format: 'docs/PROOFS.md',
  generator: 'packages/core/scripts/make-receipt-vectors.mjs',
  keys,
  receipts: vectors,
  publications,
  againstPublication,
};
writeFileSync(`${OUT}vectors.json`, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `wrote ${vectors.length} receipt, ${publications.length} publication and ${againstPublication.length} receipt-against-publication vectors`,
);
