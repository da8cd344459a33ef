// Regenerates packages/core/testdata/aggregated-receipts/: receipts v2 (docs/PROOFS.md §13) of
// locally aggregated events (§12), the keys that verify them and, for each vector, the trust it is
// verified with and the expected verdict.
//
// Usage (from the repository root; the script runs the compiled core, so build it first):
//   npx tsc -b packages/core && node packages/core/scripts/make-aggregated-receipt-vectors.mjs
//
// Deterministic: keys come from SHA-256 of fixed labels, times from a fixed base (2025-06-01), nonces
// and event ids from labels, Ed25519 signatures are deterministic: a rerun reproduces the files byte
// for byte. Aggregated events are written here byte by byte from the table of §12 and checked against
// the core's writer; the malformed ones cannot be made with the core. Every vector is verified by the
// core before it is written: a vector that does not end with its expected code stops the script.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MerkleTree, portableHasher } from '@msi/merkle';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  aggregatedReceiptToJson,
  assembleReceipt,
  canonicalJson,
  closeRound,
  cosignCheckpoint,
  encodeAggregatedEvent,
  encodeEvent,
  encodeRound,
  encodeSeal,
  eventLeafHash,
  extendReceipt,
  formatNote,
  generateNoteKey,
  imprintOf,
  mintUuidV7,
  NOTE_ALG_COSIGNATURE_V1,
  parseNote,
  parseVerifierKey,
  portableEd25519,
  ReceiptVerifier,
  rootEventFields,
  sealShard,
  signCheckpoint,
  verifyAggregatedReceipt,
} from '../dist/index.js';

const hasher = portableHasher();
const OUT = fileURLToPath(new URL('../testdata/aggregated-receipts/', import.meta.url));
const text = new TextEncoder();
const same = (a, b) => bytesToHex(a) === bytesToHex(b);

// ---------------------------------------------------------------------------------------------- keys

const seedOf = (label) => sha256(utf8ToBytes(`msi-test-vector/aggregated-receipts/${label}`));
const key = (label, name, algorithm) => ({ label, ...generateNoteKey(name, seedOf(label), algorithm) });
const LOG = key('log', 'msi.example/calendar');
const WA = key('witness-a', 'witness.example/a', NOTE_ALG_COSIGNATURE_V1);
const WB = key('witness-b', 'witness.example/b', NOTE_ALG_COSIGNATURE_V1);
const KEYS = [LOG, WA, WB];

// --------------------------------------------------------------------------------------------- times

/** 2025-06-01T00:00:00Z in milliseconds. */
const BASE_MS = 1_748_736_000_000;
const micros = (offsetMs) => (BASE_MS + offsetMs) * 1000;
const closedAt = (k) => micros(1000 * (k + 1));

// ---------------------------------------------------------------------------- aggregated events (§12)

/** Aggregated event `label`: one of each kind in the honest tree. */
function aggregated(label, i, overrides = {}) {
  return {
    eventId: mintUuidV7(BASE_MS + 10 + i, seedOf(`event/${label}`).subarray(0, 16)),
    kind: 'STORE',
    data: imprintOf('sha256', utf8ToBytes(label)),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'sensor-7',
    source: { system: 'edge', region: 'eu-west-1', host: 'gw-1' },
    destination: { system: '', region: '', host: '' },
    occurredAt: micros(10 + i),
    parents: [],
    attributes: [{ key: 'batch', value: 'b1' }],
    nonce: seedOf(`event/${label}/nonce`).subarray(0, 16),
    ...overrides,
  };
}

const u16 = (n) => [n >> 8, n & 0xff];
const u64 = (n) => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(n));
  return [...bytes];
};
const str = (s) => [...u16(text.encode(s).length), ...text.encode(s)];
const imprint = (i) => {
  const id = { sha256: 1, sha512: 5, 'sha3-256': 8 }[i.algorithm];
  return [1 + i.digest.length, id, ...i.digest];
};
const kinds = { TRANSFER: 1, PROCESS: 2, STORE: 3, ACCESS: 4, DELETE: 5, STATE: 6 };

/** Aggregated event v1 bytes, field by field from the table of §12 (attributes as given). */
function aggregatedBytes(e) {
  const endpoint = (p) => [...str(p.system), ...str(p.region), ...str(p.host)];
  return Uint8Array.from([
    ...text.encode('MSIA'),
    1,
    ...e.eventId,
    kinds[e.kind],
    ...imprint(e.data),
    ...u16(e.inputs.length),
    ...e.inputs.flatMap(imprint),
    ...u16(e.outputs.length),
    ...e.outputs.flatMap(imprint),
    ...str(e.toTenant),
    ...str(e.actor),
    ...endpoint(e.source),
    ...endpoint(e.destination),
    ...u64(e.occurredAt),
    ...u16(e.parents.length),
    ...e.parents.flatMap((p) => [...p]),
    ...u16(e.attributes.length),
    ...e.attributes.flatMap((a) => [...str(a.key), ...str(a.value)]),
    ...e.nonce,
  ]);
}

/** The honest bytes of `e`, checked against the core's writer. */
function honestBytes(e) {
  const bytes = aggregatedBytes(e);
  if (!same(bytes, encodeAggregatedEvent(e))) throw new Error(`table and core differ for ${e.actor}`);
  return bytes;
}

const sixKinds = [
  aggregated('store', 0),
  aggregated('process', 1, {
    kind: 'PROCESS',
    inputs: [imprintOf('sha256', utf8ToBytes('in'))],
    outputs: [imprintOf('sha3-256', utf8ToBytes('out'))],
  }),
  aggregated('transfer', 2, {
    kind: 'TRANSFER',
    toTenant: 'globex',
    destination: { system: 's3', region: 'us-east-1', host: '' },
  }),
  aggregated('access', 3, { kind: 'ACCESS', actor: 'bob' }),
  aggregated('state', 4, {
    kind: 'STATE',
    attributes: [
      { key: 'batch', value: 'b1' },
      { key: 'fact.readers', value: 'bob' },
    ],
  }),
  aggregated('delete', 5, { kind: 'DELETE' }),
];
sixKinds[3] = { ...sixKinds[3], parents: [sixKinds[0].eventId] };

/** A local tree over the given event bytes. */
function localTree(bytes) {
  return { bytes, tree: MerkleTree.fromLeaves(hasher, bytes) };
}
const honestTree = localTree(sixKinds.map(honestBytes));
const singleTree = localTree([honestBytes(aggregated('single', 6))]);
// A client that wrote an event that follows from itself: the tree and every proof are right.
const selfParent = aggregated('own-parent', 7);
const brokenTree = localTree([
  honestBytes(aggregated('neighbour', 8)),
  aggregatedBytes({ ...selfParent, parents: [selfParent.eventId] }),
]);

// ------------------------------------------------------------------------------ root events, calendar

/** A root event (§12) of `tree`, with `overrides` for the ones that break a rule. */
function rootEvent(label, tree, i, overrides = {}) {
  return {
    tenant: 'acme',
    eventId: mintUuidV7(BASE_MS + 500 + i, seedOf(`root/${label}`).subarray(0, 16)),
    ...rootEventFields({ root: tree.tree.root(), leafCount: tree.tree.size }),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'msi-client',
    submitter: 'edge-gateway',
    source: { system: '', region: '', host: '' },
    destination: { system: '', region: '', host: '' },
    occurredAt: micros(500 + i),
    receivedAt: micros(600 + i),
    parents: [],
    nonce: seedOf(`root/${label}/nonce`).subarray(0, 16),
    ...overrides,
  };
}
const aggregateAttributes = (format, leaves) => [
  ...(format === undefined ? [] : [{ key: 'msi.aggregate.format', value: format }]),
  ...(leaves === undefined ? [] : [{ key: 'msi.aggregate.leaves', value: leaves }]),
];

const roots = {
  honest: rootEvent('honest', honestTree, 0),
  single: rootEvent('single', singleTree, 1),
  broken: rootEvent('broken', brokenTree, 2),
  kindState: rootEvent('kind-state', honestTree, 3, { kind: 'STATE' }),
  format2: rootEvent('format-2', honestTree, 4, { attributes: aggregateAttributes('2', '6') }),
  noLeaves: rootEvent('no-leaves', honestTree, 5, { attributes: aggregateAttributes('1', undefined) }),
  noFormat: rootEvent('no-format', honestTree, 6, { attributes: aggregateAttributes(undefined, '6') }),
  leaves7: rootEvent('leaves-7', honestTree, 7, { attributes: aggregateAttributes('1', '7') }),
  dataSha512: rootEvent('data-sha512', honestTree, 8, {
    data: { algorithm: 'sha512', digest: Uint8Array.of(...honestTree.tree.root(), ...new Uint8Array(32)) },
  }),
  extraAttribute: rootEvent('extra-attribute', honestTree, 9, {
    attributes: [...aggregateAttributes('1', '6'), { key: 'service', value: 'checkout' }],
  }),
};
const rootNames = Object.keys(roots);
const rootBytes = rootNames.map((name) => encodeEvent(roots[name]));
const rootIndex = (name) => rootNames.indexOf(name);

// One seal of round 1 holds every root event; rounds 0 and 2 are empty.
const packed = new Uint8Array(rootBytes.length * 32);
rootBytes.forEach((bytes, i) => {
  packed.set(eventLeafHash(hasher, bytes), i * 32);
});
const sealed = sealShard(hasher, {
  shard: 0,
  sealNumber: 0,
  streamStart: 1,
  streamEnd: 2,
  leafHashes: packed,
  maxReceivedAt: Math.max(...Object.values(roots).map((r) => r.receivedAt)),
});
const sealBytes = encodeSeal(sealed.record);
const rounds = [0, 1, 2].map((k) =>
  closeRound(hasher, {
    round: k,
    closedAt: closedAt(k),
    intervalMs: 1000,
    sealsStart: k === 2 ? 2 : 1,
    sealsEnd: k === 0 ? 1 : 2,
    seals: k === 1 ? [{ record: sealed.record, bytes: sealBytes }] : [],
    previousClosedAt: k === 0 ? null : closedAt(k - 1),
  }),
);
const roundBytes = rounds.map((r) => encodeRound(r.record));
const calendar = (size) => MerkleTree.fromLeaves(hasher, roundBytes.slice(0, size));
const TA = Math.floor(closedAt(2) / 1e6) + 2;
const TB = TA + 1;
const noteOf = (size) =>
  cosignCheckpoint(
    cosignCheckpoint(
      signCheckpoint(
        { origin: LOG.signer.name, size, root: calendar(size).root(), extensions: [] },
        LOG.signer,
      ),
      WA.signer,
      TA,
    ),
    WB.signer,
    TB,
  );
const note2 = noteOf(2);
const note3 = noteOf(3);

/** The receipt v1 of root event `name` against the checkpoint of size 3 (or `size`). */
function rootReceipt(name, size = 3, note = note3) {
  const i = rootIndex(name);
  return assembleReceipt({
    event: rootBytes[i],
    eventProof: { leafIndex: i, treeSize: rootBytes.length, hashes: sealed.tree.inclusionProof(i) },
    seal: sealBytes,
    sealProof: { leafIndex: 0, treeSize: 1, hashes: [] },
    round: roundBytes[1],
    roundProof: { leafIndex: 1, treeSize: size, hashes: calendar(size).inclusionProof(1) },
    checkpoint: note,
  });
}

/** The receipt v2 of leaf `i` of `tree` under root event `name`. */
function receipt(tree, i, name, root = rootReceipt(name)) {
  return {
    version: 2,
    event: tree.bytes[i],
    localProof: { leafIndex: i, treeSize: tree.tree.size, hashes: tree.tree.inclusionProof(i) },
    rootReceipt: root,
  };
}

// --------------------------------------------------------------------------------------------- trust

const vk = (k) => k.verifierKey;
const FULL = { logKeys: [vk(LOG)], witnessKeys: [vk(WA), vk(WB)], quorum: 2, strict: true };
const LOG_ONLY = { logKeys: [vk(LOG)], witnessKeys: [], quorum: 0, strict: false };

// ------------------------------------------------------------------------------------------- vectors

const vectors = [];
const files = new Map();
const jsonOf = (r) => `${aggregatedReceiptToJson(r)}\n`;

function add(name, description, content, trust, want, expect) {
  const path = `${want === 'VALID' ? 'valid' : 'invalid'}/${name}.json`;
  const bytes = typeof content === 'string' ? text.encode(content) : text.encode(jsonOf(content));
  if (files.has(path)) throw new Error(`${path} written twice`);
  files.set(path, bytes);
  vectors.push({ name, description, receipt: path, trust, want, ...(expect ? { expect } : {}) });
}

const witnesses = [
  { name: WA.signer.name, time: TA },
  { name: WB.signer.name, time: TB },
];
const expectOf = (tree, i, root = roots.honest, extra = {}) => ({
  leafIndex: i,
  leafCount: tree.tree.size,
  tenant: root.tenant,
  submitter: root.submitter,
  receivedAt: root.receivedAt,
  round: 1,
  closedAt: closedAt(1),
  checkpointSize: 3,
  witnesses,
  ...extra,
});

sixKinds.forEach((e, i) => {
  add(
    `leaf-${i}-${e.kind.toLowerCase()}`,
    `leaf ${i} (${e.kind}) of a local tree of 6 aggregated events, one of each kind`,
    receipt(honestTree, i, 'honest'),
    FULL,
    'VALID',
    expectOf(honestTree, i),
  );
});
add(
  'single-leaf',
  'the only event of a local tree of 1: an empty local proof',
  receipt(singleTree, 0, 'single'),
  FULL,
  'VALID',
  expectOf(singleTree, 0, roots.single),
);
add(
  'root-event-with-another-attribute',
  'the root event carries an attribute of the client besides the two of format 1',
  receipt(honestTree, 2, 'extraAttribute'),
  FULL,
  'VALID',
  expectOf(honestTree, 2, roots.extraAttribute),
);
const extended = extendReceipt(rootReceipt('honest', 2, note2), {
  checkpoint: note3,
  consistency: calendar(3).consistencyProof(2),
});
add(
  'root-receipt-extended',
  'the root receipt is against the checkpoint of size 2, extended to size 3',
  receipt(honestTree, 0, 'honest', extended),
  FULL,
  'VALID',
  { ...expectOf(honestTree, 0), checkpointSize: 2, extendedTo: 3 },
);
add(
  'log-key-only',
  'leaf 1 with the log key alone (no witness required)',
  receipt(honestTree, 1, 'honest'),
  LOG_ONLY,
  'VALID',
  {
    ...expectOf(honestTree, 1),
    witnesses: [],
  },
);

// step 1: reading
const base = receipt(honestTree, 4, 'honest');
const baseJson = JSON.parse(aggregatedReceiptToJson(base));
const canonical = (value) => `${canonicalJson(value)}\n`;
const without = (value, member) => Object.fromEntries(Object.entries(value).filter(([k]) => k !== member));
add(
  'root-receipt-missing',
  'a local proof without the server receipt of its root event',
  canonical(without(baseJson, 'rootReceipt')),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'root-receipt-version-2',
  'the embedded root receipt says version 2: it must be a receipt v1',
  canonical({ ...baseJson, rootReceipt: { ...baseJson.rootReceipt, version: 2 } }),
  FULL,
  'UNSUPPORTED_VERSION',
);
add(
  'root-receipt-seal-missing',
  'the embedded root receipt has no seal',
  canonical({ ...baseJson, rootReceipt: without(baseJson.rootReceipt, 'seal') }),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'unknown-member',
  'a member that receipt v2 does not have',
  canonical({ ...baseJson, salt: 'x' }),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'local-proof-null',
  'localProof is null',
  canonical({ ...baseJson, localProof: null }),
  FULL,
  'RECEIPT_MALFORMED',
);
add(
  'version-3',
  'a receipt of version 3',
  canonical({ ...baseJson, version: 3 }),
  FULL,
  'UNSUPPORTED_VERSION',
);
add(
  'members-reordered',
  'version first: not the canonical member order',
  `{"version":2,${aggregatedReceiptToJson(base).slice(1, -',"version":2}'.length)}}\n`,
  FULL,
  'RECEIPT_NOT_CANONICAL',
);

// step 2: the aggregated event
add(
  'event-as-canonical-event-v1',
  "the event is the root event's canonical event v1 bytes (magic MSIE), not an aggregated event",
  { ...base, event: rootBytes[rootIndex('honest')] },
  FULL,
  'EVENT_MALFORMED',
);
add(
  'event-own-parent',
  'an aggregated event that follows from itself, in a tree whose proofs are right',
  receipt(brokenTree, 1, 'broken'),
  FULL,
  'EVENT_MALFORMED',
);
add(
  'event-trailing-byte',
  'one byte after the nonce',
  { ...base, event: Uint8Array.of(...base.event, 0) },
  FULL,
  'EVENT_MALFORMED',
);

// step 3: the root receipt's proofs
const flip = (bytes, at) => {
  const copy = Uint8Array.from(bytes);
  copy[at] ^= 1;
  return copy;
};
add(
  'root-event-proof-hash-flipped',
  "a bit of the root receipt's event proof flipped",
  {
    ...base,
    rootReceipt: {
      ...base.rootReceipt,
      eventProof: {
        ...base.rootReceipt.eventProof,
        hashes: [
          flip(base.rootReceipt.eventProof.hashes[0], 0),
          ...base.rootReceipt.eventProof.hashes.slice(1),
        ],
      },
    },
  },
  FULL,
  'EVENT_PROOF_INVALID',
);
add(
  'root-receipt-of-another-root-event',
  "the root receipt of the single-leaf tree's root event: its proofs are right, its root is another tree's",
  receipt(honestTree, 4, 'honest', rootReceipt('single')),
  FULL,
  'LOCAL_PROOF_INVALID',
);

// step 4: the root event
add(
  'root-event-kind-state',
  'the root event is a STATE, not a STORE',
  receipt(honestTree, 0, 'kindState'),
  FULL,
  'ROOT_EVENT_INVALID',
);
add(
  'root-event-format-2',
  'the root event says msi.aggregate.format 2',
  receipt(honestTree, 0, 'format2'),
  FULL,
  'ROOT_EVENT_INVALID',
);
add(
  'root-event-leaves-missing',
  'the root event has no msi.aggregate.leaves',
  receipt(honestTree, 0, 'noLeaves'),
  FULL,
  'ROOT_EVENT_INVALID',
);
add(
  'root-event-format-missing',
  'the root event has no msi.aggregate.format: an ordinary event',
  receipt(honestTree, 0, 'noFormat'),
  FULL,
  'ROOT_EVENT_INVALID',
);
add(
  'root-event-data-sha512',
  "the root event's data is a SHA-512 imprint starting with the root",
  receipt(honestTree, 0, 'dataSha512'),
  FULL,
  'ROOT_EVENT_INVALID',
);

// step 5: the local proof
add(
  'local-leaf-count-7',
  'the root event binds 7 leaves; the proof is against a tree of 6',
  receipt(honestTree, 0, 'leaves7'),
  FULL,
  'LOCAL_PROOF_INVALID',
);
add(
  'local-leaf-index-changed',
  'localProof.leafIndex 3 for the event of leaf 4',
  { ...base, localProof: { ...base.localProof, leafIndex: 3 } },
  FULL,
  'LOCAL_PROOF_INVALID',
);
add(
  'local-tree-size-changed',
  "localProof.treeSize 7: not the root event's leaf count",
  { ...base, localProof: { ...base.localProof, treeSize: 7 } },
  FULL,
  'LOCAL_PROOF_INVALID',
);
add(
  'local-proof-hash-flipped',
  'a bit of a local proof hash flipped',
  {
    ...base,
    localProof: {
      ...base.localProof,
      hashes: [flip(base.localProof.hashes[0], 31), ...base.localProof.hashes.slice(1)],
    },
  },
  FULL,
  'LOCAL_PROOF_INVALID',
);
add(
  'local-proof-hash-missing',
  'the last local proof hash left out',
  { ...base, localProof: { ...base.localProof, hashes: base.localProof.hashes.slice(0, -1) } },
  FULL,
  'LOCAL_PROOF_INVALID',
);
add(
  'event-of-another-leaf',
  'the event of leaf 5 with the proof of leaf 4',
  { ...base, event: honestTree.bytes[5] },
  FULL,
  'LOCAL_PROOF_INVALID',
);

// step 6: the root receipt's signatures
const lines = parseNote(note3).signatures;
const badLog = { ...lines[0], bytes: flip(lines[0].bytes, 10) };
const badNote = formatNote({ text: parseNote(note3).text, signatures: [badLog, ...lines.slice(1)] });
add(
  'root-log-signature-flipped',
  "a bit of the log signature of the root receipt's checkpoint flipped",
  { ...base, rootReceipt: { ...base.rootReceipt, checkpoint: badNote } },
  FULL,
  'SIGNATURE_INVALID',
);
add(
  'log-key-not-trusted',
  'leaf 4 verified with no log key',
  base,
  { ...FULL, logKeys: [] },
  'UNTRUSTED_KEY',
);
add(
  'quorum-3',
  'leaf 4 with a quorum of 3 and two witnesses',
  base,
  { ...FULL, quorum: 3 },
  'QUORUM_NOT_MET',
);

// ------------------------------------------------------------------------------ check, then write

const trustOf = (t) => ({
  logKeys: t.logKeys.map(parseVerifierKey),
  witnessKeys: t.witnessKeys.map(parseVerifierKey),
  quorum: t.quorum,
  strict: t.strict,
});
const crypto = { hasher, ed25519: portableEd25519() };
const outcome = (run) => {
  try {
    return { verdict: 'VALID', result: run() };
  } catch (error) {
    if (typeof error?.code !== 'string') throw error;
    return { verdict: error.code, error };
  }
};
/** What a VALID vector's `expect` holds, from a verification result. */
const summary = (r) => ({
  leafIndex: r.leafIndex,
  leafCount: r.leafCount,
  tenant: r.tenant,
  submitter: r.submitter,
  receivedAt: r.receivedAt,
  round: r.rootReceipt.round.round,
  closedAt: r.rootReceipt.round.closedAt,
  checkpointSize: r.rootReceipt.checkpoint.size,
  witnesses: r.rootReceipt.witnesses.map((w) => ({ name: w.name, time: w.time })),
  ...(r.rootReceipt.extendedTo === undefined ? {} : { extendedTo: r.rootReceipt.extendedTo.size }),
});
for (const v of vectors) {
  const trust = trustOf(v.trust);
  const got = outcome(() => verifyAggregatedReceipt(files.get(v.receipt), trust, crypto));
  const cached = outcome(() => new ReceiptVerifier(trust, crypto).verify(files.get(v.receipt)));
  for (const g of [got, cached]) {
    if (g.verdict !== v.want)
      throw new Error(`${v.name}: ${g.verdict} (${g.error?.message}), want ${v.want}`);
  }
  if (v.expect !== undefined && JSON.stringify(summary(got.result)) !== JSON.stringify(v.expect)) {
    throw new Error(`${v.name}: ${JSON.stringify(summary(got.result))}, want ${JSON.stringify(v.expect)}`);
  }
}

for (const dir of ['valid', 'invalid']) rmSync(`${OUT}${dir}`, { recursive: true, force: true });
for (const dir of ['valid', 'invalid']) mkdirSync(`${OUT}${dir}`, { recursive: true });
for (const [path, bytes] of files) writeFileSync(`${OUT}${path}`, bytes);
const manifest = {
  about:
    'receipt v2 (§13) vectors of aggregated events (§12): the file, the trust it is verified with, the verdict',
  format: 'docs/PROOFS.md',
  generator: 'packages/core/scripts/make-aggregated-receipt-vectors.mjs',
  keys: Object.fromEntries(
    KEYS.map((k) => [k.label, { name: k.signer.name, verifierKey: k.verifierKey, signerKey: k.signerKey }]),
  ),
  receipts: vectors,
};
writeFileSync(`${OUT}vectors.json`, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${vectors.length} receipt v2 vectors`);
