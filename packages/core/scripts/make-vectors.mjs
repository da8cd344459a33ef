// Regenerates the committed test vectors of packages/core/testdata from fixed inputs:
//   events.json  event (JSON form) → canonical bytes (hex) → event leaf hash (hex)   docs/PROOFS.md §4
//   seals.json   seal input (event leaf hashes …) → seal record → bytes → seal leaf hash       §5
//   rounds.json  round input (seals in any order …) → round record → bytes → round leaf hash    §6
//
// Usage (from the repository root; the script runs the compiled core, so build it first):
//   npx tsc -b packages/core && node packages/core/scripts/make-vectors.mjs
//
// Everything is deterministic: ids and nonces come from fixed times and SHA-256 of fixed labels, never
// from a clock or a random source, so a rerun reproduces the files byte for byte. The unit tests
// check the code against these files, and assemble some of their bytes by hand from the tables of
// docs/PROOFS.md, so a change of format shows up as a test failure, never as a silent regeneration.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { portableHasher } from '@msi/merkle';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { eventFromVectorJson } from '../dist/event/event-vector.js';
import { encodeEvent, eventLeafHash } from '../dist/event/index.js';
import { formatImprint, imprintOf } from '../dist/imprint/index.js';
import { closeRound, encodeRound, roundLeafHash } from '../dist/round/index.js';
import { encodeSeal, sealLeafHash, sealShard } from '../dist/seal/index.js';
import { formatUuid, mintUuidV7 } from '../dist/uuid/index.js';

const hasher = portableHasher();
const testdata = (name) => fileURLToPath(new URL(`../testdata/${name}`, import.meta.url));

/** 2025-06-01T00:00:00Z in milliseconds. */
const BASE_MS = 1_748_736_000_000;
const seeded = (label) => sha256(utf8ToBytes(`msi-test-vector/${label}`));
const uuid = (label, offsetMs) => formatUuid(mintUuidV7(BASE_MS + offsetMs, seeded(label).subarray(0, 16)));
const nonce = (label) => bytesToHex(seeded(`${label}/nonce`).subarray(0, 16));
const imprint = (algorithm, content) => formatImprint(imprintOf(algorithm, utf8ToBytes(content)));
const micros = (offsetMs) => (BASE_MS + offsetMs) * 1000;
const none = { system: '', region: '', host: '' };

const ids = {
  report: uuid('report', 1),
  process: uuid('process', 2),
  dataset: uuid('dataset', 3),
  model: uuid('model', 4),
  access: uuid('access', 5),
  delete: uuid('delete', 6),
  state: uuid('state', 7),
  move: uuid('move', 8),
};

/** [name, what the vector covers, event in JSON form]. Attributes are given in a non-canonical order on purpose. */
const events = [
  [
    'transfer-cross-tenant',
    'TRANSFER to another tenant; every endpoint field set; one attribute',
    {
      tenant: 'acme',
      eventId: ids.report,
      kind: 'TRANSFER',
      data: imprint('sha256', 'quarterly-report-2025q2.pdf'),
      inputs: [],
      outputs: [],
      toTenant: 'globex.eu-1',
      actor: 'alice@acme.example',
      submitter: 'svc-uploader',
      source: { system: 's3', region: 'eu-west-1', host: 'reports-bucket' },
      destination: { system: 'sftp', region: 'us-east-1', host: 'files.globex.example' },
      occurredAt: micros(1),
      receivedAt: micros(1) + 2_345,
      parents: [],
      attributes: [{ key: 'protocol', value: 'sftp' }],
      nonce: nonce('report'),
    },
  ],
  [
    'process-full',
    'PROCESS with several inputs and outputs of five algorithms, parents, unsorted attributes',
    {
      tenant: 'acme',
      eventId: ids.process,
      kind: 'PROCESS',
      data: imprint('sha256', 'etl-job-config.yaml'),
      inputs: [
        imprint('sha256', 'customers.csv'),
        imprint('sha512', 'orders.parquet'),
        imprint('sha3-256', 'fx-rates.json'),
      ],
      outputs: [imprint('sha384', 'revenue-by-region.parquet'), imprint('sha3-512', 'etl-run.log')],
      toTenant: '',
      actor: 'etl-runner',
      submitter: 'svc-etl',
      source: { system: 'warehouse', region: 'eu-west-1', host: 'dw-01' },
      destination: { system: 'lake', region: 'eu-west-1', host: 'lake-gold' },
      occurredAt: micros(2),
      receivedAt: micros(2) + 11_000,
      parents: [ids.report, ids.dataset],
      attributes: [
        { key: 'job.id', value: 'etl-7781' },
        { key: 'Model', value: 'v2' },
        { key: 'batch:size', value: '5000' },
        { key: 'attempt', value: '1' },
      ],
      nonce: nonce('process'),
    },
  ],
  [
    'store-minimal',
    'STORE with every optional field empty (assembled by hand in encode-event.test.ts)',
    {
      tenant: 't1',
      eventId: '017f22e2-79b0-7cc3-98c4-dc0c0c07398f',
      kind: 'STORE',
      data: imprint('sha256', 'hello'),
      inputs: [],
      outputs: [],
      toTenant: '',
      actor: 'a',
      submitter: 's',
      source: none,
      destination: none,
      occurredAt: 1_645_557_742_000_000,
      receivedAt: 1_645_557_742_000_001,
      parents: [],
      attributes: [],
      nonce: '000102030405060708090a0b0c0d0e0f',
    },
  ],
  [
    'access-unicode',
    'ACCESS with non-ASCII strings: Latin-1, CJK, and 4-byte UTF-8 (outside the BMP)',
    {
      tenant: 'acme',
      eventId: ids.access,
      kind: 'ACCESS',
      data: imprint('sha256', 'patient-record-0042.json'),
      inputs: [],
      outputs: [],
      toTenant: '',
      actor: 'José Müller',
      submitter: 'サービス',
      source: { system: 'ehr', region: 'São Paulo', host: '東京-01' },
      destination: none,
      occurredAt: micros(5),
      receivedAt: micros(5) + 700,
      parents: [],
      attributes: [
        { key: 'purpose', value: 'treatment — follow-up' },
        { key: 'note', value: '𝄞 music 🎵' },
      ],
      nonce: nonce('access'),
    },
  ],
  [
    'delete-with-parents',
    'DELETE of SHA-224 data following three earlier events',
    {
      tenant: 'globex.eu-1',
      eventId: ids.delete,
      kind: 'DELETE',
      data: imprint('sha224', 'quarterly-report-2025q2.pdf'),
      inputs: [],
      outputs: [],
      toTenant: '',
      actor: 'retention-bot',
      submitter: 'svc-retention',
      source: { system: 'sftp', region: 'us-east-1', host: 'files.globex.example' },
      destination: none,
      occurredAt: micros(6),
      receivedAt: micros(6) + 90,
      parents: [ids.report, ids.model, ids.access],
      attributes: [
        { key: 'ticket', value: 'OPS-1234' },
        { key: 'reason', value: 'retention policy' },
      ],
      nonce: nonce('delete'),
    },
  ],
  [
    'state-limits',
    'STATE with every string at its longest, the largest occurred_at, SHA3-224 data',
    {
      tenant: `t${'0123456789._-abcdefghijklmnopqrstuvwxyz'.repeat(2)}`.slice(0, 64),
      eventId: ids.state,
      kind: 'STATE',
      data: imprint('sha3-224', 'cluster-state-snapshot'),
      inputs: [],
      outputs: [],
      toTenant: '',
      actor: 'x'.repeat(256),
      submitter: 'ü'.repeat(128),
      source: { system: 's'.repeat(256), region: 'r'.repeat(256), host: '日'.repeat(85) },
      destination: { system: 'é'.repeat(128), region: '🎵'.repeat(64), host: 'h'.repeat(256) },
      occurredAt: Number.MAX_SAFE_INTEGER,
      receivedAt: micros(7),
      parents: [],
      attributes: [
        { key: 'K'.repeat(64), value: 'v'.repeat(256) },
        { key: 'A:b.c-d_e', value: '' },
      ],
      nonce: nonce('state'),
    },
  ],
  [
    'transfer-same-tenant',
    'TRANSFER within the tenant (empty to_tenant); keys whose byte order differs from a locale order',
    {
      tenant: 'acme',
      eventId: ids.move,
      kind: 'TRANSFER',
      data: imprint('sha512', 'backup-2025-06-01.tar'),
      inputs: [],
      outputs: [],
      toTenant: '',
      actor: 'bob',
      submitter: 'svc-backup',
      source: { system: 'nas', region: '', host: 'nas-1' },
      destination: { system: 'nas', region: '', host: 'nas-2' },
      occurredAt: micros(8),
      receivedAt: micros(8) + 1,
      parents: [ids.state],
      attributes: ['b', 'B', 'a.b', 'a-b', 'a:b', 'a_b', 'a', 'A', '0', 'Z'].map((key, i) => ({
        key,
        value: String(i),
      })),
      nonce: nonce('move'),
    },
  ],
  [
    'process-single',
    'PROCESS with one input and one output; SHA3-384 data',
    {
      tenant: '9lives',
      eventId: ids.model,
      kind: 'PROCESS',
      data: imprint('sha3-384', 'train.py'),
      inputs: [imprint('sha224', 'training-set-v3')],
      outputs: [imprint('sha3-224', 'model-v3.onnx')],
      toTenant: '',
      actor: 'ml-pipeline',
      submitter: 'svc-ml',
      source: none,
      destination: { system: 'registry', region: '', host: '' },
      occurredAt: micros(4),
      receivedAt: micros(4) + 5_000_000,
      parents: [ids.dataset],
      attributes: [{ key: 'gpu', value: 'a100' }],
      nonce: nonce('model'),
    },
  ],
];

const eventVectors = events.map(([name, description, event]) => {
  const canonical = encodeEvent(eventFromVectorJson(event));
  return {
    name,
    description,
    event,
    canonical: bytesToHex(canonical),
    leafHash: bytesToHex(eventLeafHash(hasher, canonical)),
  };
});
const leafOf = (name) => {
  const vector = eventVectors.find((v) => v.name === name);
  if (vector === undefined) throw new Error(`no event vector ${name}`);
  return vector;
};

/** [name, description, seal input with event vector names for leaves]. */
const seals = [
  [
    'shard-0-seal-0',
    'one event; assembled by hand in seal-codec.test.ts',
    { shard: 0, sealNumber: 0, streamStart: 1, streamEnd: 2, events: ['store-minimal'] },
  ],
  [
    'shard-3-seal-41',
    'all eight events, in vector order, from five stream messages',
    { shard: 3, sealNumber: 41, streamStart: 1000, streamEnd: 1005, events: eventVectors.map((v) => v.name) },
  ],
  [
    'shard-1-seal-5',
    'three events',
    {
      shard: 1,
      sealNumber: 5,
      streamStart: 77,
      streamEnd: 79,
      events: ['process-full', 'access-unicode', 'delete-with-parents'],
    },
  ],
];

const sealVectors = seals.map(([name, description, { events: names, ...fields }]) => {
  const leaves = names.map(leafOf);
  const maxReceivedAt = Math.max(...leaves.map((v) => v.event.receivedAt));
  const input = { ...fields, leafHashes: leaves.map((v) => v.leafHash), maxReceivedAt };
  const { record } = sealShard(hasher, { ...input, leafHashes: hexToBytes(input.leafHashes.join('')) });
  const bytes = encodeSeal(record);
  return {
    name,
    description,
    events: names,
    input,
    record: { ...record, root: bytesToHex(record.root) },
    bytes: bytesToHex(bytes),
    leafHash: bytesToHex(sealLeafHash(hasher, bytes)),
  };
});
const sealOf = (name) => {
  const vector = sealVectors.find((v) => v.name === name);
  if (vector === undefined) throw new Error(`no seal vector ${name}`);
  return {
    name,
    record: { ...vector.record, root: hexToBytes(vector.record.root) },
    bytes: hexToBytes(vector.bytes),
  };
};

/** [name, description, round input with seal vector names in the order given to closeRound]. */
const rounds = [
  [
    'round-0-empty',
    'the first round, without seals (assembled by hand in round-codec.test.ts)',
    {
      round: 0,
      closedAt: micros(0),
      intervalMs: 1000,
      sealsStart: 0,
      sealsEnd: 0,
      seals: [],
      previousClosedAt: null,
    },
  ],
  [
    'round-7',
    'three seals given out of (shard, seal_number) order',
    {
      round: 7,
      closedAt: micros(10_000),
      intervalMs: 1000,
      sealsStart: 20,
      sealsEnd: 23,
      seals: ['shard-3-seal-41', 'shard-0-seal-0', 'shard-1-seal-5'],
      previousClosedAt: micros(9_000),
    },
  ],
];

const roundVectors = rounds.map(([name, description, input]) => {
  const { record, orderedSeals } = closeRound(hasher, { ...input, seals: input.seals.map(sealOf) });
  const bytes = encodeRound(record);
  return {
    name,
    description,
    input,
    orderedSeals: orderedSeals.map((seal) => seal.name),
    record: { ...record, root: bytesToHex(record.root) },
    bytes: bytesToHex(bytes),
    leafHash: bytesToHex(roundLeafHash(hasher, bytes)),
  };
});

const write = (file, about, vectors) => {
  const header = { about, format: 'docs/PROOFS.md', generator: 'packages/core/scripts/make-vectors.mjs' };
  writeFileSync(testdata(file), `${JSON.stringify({ ...header, vectors }, null, 2)}\n`);
};
write('events.json', 'canonical event v1 (§4): event → canonical bytes → H(0x00 || bytes)', eventVectors);
write(
  'seals.json',
  'seal record v1 (§5): event leaf hashes → seal record → bytes → H(0x00 || bytes)',
  sealVectors,
);
write(
  'rounds.json',
  'round record v1 (§6): seals in any order → round record → bytes → H(0x00 || bytes)',
  roundVectors,
);
console.log(
  `wrote ${eventVectors.length} event, ${sealVectors.length} seal, ${roundVectors.length} round vectors`,
);
