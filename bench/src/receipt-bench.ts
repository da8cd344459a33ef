// Receipt verification figures: a realistic receipt (a seal of 4,096 events, a round of 64 seals, a
// calendar of 2^20 rounds, 2 witness cosignatures) verified with the portable ports and with the
// Node ports. Targets (issue): proof checking <= 100 µs; a whole receipt with its signature
// <= 250 µs on Node and <= 3 ms on the portable path.
import { randomBytes } from 'node:crypto';
import {
  assembleReceipt,
  checkReceiptProofs,
  closeRound,
  cosignCheckpoint,
  defaultEd25519,
  encodeEvent,
  encodeRound,
  encodeSeal,
  eventLeafHash,
  generateNoteKey,
  imprintOf,
  mintUuidV7,
  type Receipt,
  type ReceiptCrypto,
  type ReceiptTrust,
  receiptToJson,
  roundLeafHash,
  sealShard,
  signCheckpoint,
  verifierKeyOf,
  verifyReceipt,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { type MerkleHasher, MerkleTree, portableHasher } from '@msi/merkle';
import { measure, type Section } from './harness.js';

const SEAL_EVENTS = 4096;
const ROUND_SEALS = 64;
const CALENDAR_SIZE = 2 ** 20;

interface Fixture {
  readonly receipt: Receipt;
  readonly text: string;
  readonly trust: ReceiptTrust;
}

function buildFixture(hasher: MerkleHasher): Fixture {
  const now = Date.now() * 1000;
  const canonical = encodeEvent({
    tenant: 'acme',
    eventId: mintUuidV7(Date.now(), randomBytes(16)),
    kind: 'TRANSFER',
    data: imprintOf('sha256', randomBytes(64)),
    inputs: [],
    outputs: [],
    toTenant: 'globex',
    actor: 'etl-job-17',
    submitter: 'pipeline-gateway',
    source: { system: 's3', region: 'eu-west-1', host: 'bucket-a' },
    destination: { system: 'gcs', region: 'us-east1', host: 'bucket-b' },
    occurredAt: now - 5_000,
    receivedAt: now - 1_000,
    parents: [mintUuidV7(Date.now() - 1000, randomBytes(16))],
    attributes: [
      { key: 'classification', value: 'pii' },
      { key: 'dataset', value: 'customers-2026-11' },
    ],
    nonce: randomBytes(16),
  });
  const eventIndex = 1234;
  const leaves = new Uint8Array(randomBytes(SEAL_EVENTS * 32));
  leaves.set(eventLeafHash(hasher, canonical), eventIndex * 32);
  const sealed = sealShard(hasher, {
    shard: 3,
    sealNumber: 77,
    streamStart: 1000,
    streamEnd: 1100,
    leafHashes: leaves,
    maxReceivedAt: now,
  });
  const sealBytes = encodeSeal(sealed.record);
  // The other seals of the round are real records too (closeRound checks them).
  const seals = Array.from({ length: ROUND_SEALS }, (_, shard) => {
    if (shard === 3) return { record: sealed.record, bytes: sealBytes };
    const record = { ...sealed.record, shard, root: new Uint8Array(randomBytes(32)) };
    return { record, bytes: encodeSeal(record) };
  });
  const k = CALENDAR_SIZE - 100;
  const closed = closeRound(hasher, {
    round: k,
    closedAt: now + 500_000,
    intervalMs: 1000,
    sealsStart: 5000,
    sealsEnd: 5000 + ROUND_SEALS,
    seals,
    previousClosedAt: now - 500_000,
  });
  const roundBytes = encodeRound(closed.record);
  const calendarLeaves = new Uint8Array(randomBytes(CALENDAR_SIZE * 32));
  calendarLeaves.set(roundLeafHash(hasher, roundBytes), k * 32);
  const calendar = MerkleTree.fromLeafHashes(hasher, calendarLeaves, CALENDAR_SIZE);
  const log = generateNoteKey('msi.bench/calendar', randomBytes(32));
  const witnesses = [1, 2].map((n) => generateNoteKey(`witness-${n}.bench`, randomBytes(32), 0x04));
  let note = signCheckpoint(
    { origin: 'msi.bench/calendar', size: CALENDAR_SIZE, root: calendar.root(), extensions: [] },
    log.signer,
  );
  for (const witness of witnesses)
    note = cosignCheckpoint(note, witness.signer, Math.floor(Date.now() / 1000));
  const sealPosition = closed.orderedSeals.findIndex((seal) => seal.record.shard === 3);
  const receipt = assembleReceipt({
    event: canonical,
    eventProof: {
      leafIndex: eventIndex,
      treeSize: SEAL_EVENTS,
      hashes: sealed.tree.inclusionProof(eventIndex),
    },
    seal: sealBytes,
    sealProof: {
      leafIndex: sealPosition,
      treeSize: ROUND_SEALS,
      hashes: closed.tree.inclusionProof(sealPosition),
    },
    round: roundBytes,
    roundProof: { leafIndex: k, treeSize: CALENDAR_SIZE, hashes: calendar.inclusionProof(k) },
    checkpoint: note,
  });
  return {
    receipt,
    text: receiptToJson(receipt),
    trust: {
      logKeys: [verifierKeyOf(log.signer)],
      witnessKeys: witnesses.map((w) => verifierKeyOf(w.signer)),
      quorum: 2,
    },
  };
}

/** Fills `section` with per-receipt latencies (µs) for each path and the targets' verdicts. */
export function receiptVerification(section: Section, buildHasher: MerkleHasher): void {
  const fixture = buildFixture(buildHasher);
  const paths: [string, ReceiptCrypto, number][] = [
    ['node (node:crypto hasher + Ed25519)', { hasher: nodeHasher(), ed25519: nodeEd25519() }, 250],
    [
      'portable (@noble/hashes + @noble/curves)',
      { hasher: portableHasher(), ed25519: defaultEd25519() },
      3000,
    ],
  ];
  for (const [name, crypto, wholeTargetUs] of paths) {
    verifyReceipt(fixture.text, fixture.trust, crypto); // must pass before it is timed
    const proofs = measure(() => checkReceiptProofs(fixture.receipt, crypto.hasher), {
      opsPerRun: 1,
      minTimeMs: 1000,
      maxRuns: 20_000,
    });
    const logOnly = { logKeys: fixture.trust.logKeys };
    const signed = measure(() => verifyReceipt(fixture.text, logOnly, crypto), {
      opsPerRun: 1,
      minTimeMs: 1500,
      maxRuns: 5_000,
    });
    const whole = measure(() => verifyReceipt(fixture.text, fixture.trust, crypto), {
      opsPerRun: 1,
      minTimeMs: 1500,
      maxRuns: 5_000,
    });
    const proofsUs = proofs.medianMs * 1000;
    const signedUs = signed.medianMs * 1000;
    const wholeUs = whole.medianMs * 1000;
    section.add({
      path: name,
      'proofs (µs)': proofsUs.toFixed(1),
      '≤ 100 µs': proofsUs <= 100 ? 'PASS' : 'FAIL',
      'receipt + log signature (µs)': signedUs.toFixed(1),
      [`≤ ${wholeTargetUs} µs`]: signedUs <= wholeTargetUs ? 'PASS' : 'FAIL',
      '+ 2 witness cosignatures (µs)': wholeUs.toFixed(1),
    });
  }
  section.note(
    `receipt: ${fixture.text.length} bytes of JSON; seal of ${SEAL_EVENTS} events, round of ${ROUND_SEALS} seals, calendar of ${CALENDAR_SIZE} rounds; ` +
      'receipt + log signature = parse and check canonical JSON, decode, 3 inclusion proofs, the log signature; the last column adds 2 witness cosignatures (quorum 2).',
  );
}
