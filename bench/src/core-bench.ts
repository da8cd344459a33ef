// The core benchmark: `pnpm bench` (tsc -b, then node bench/dist/core-bench.js [--quick]).
// Tree builds per hasher and against peer libraries, inclusion proof generation and verification,
// receipt verification (proofs alone, and whole receipts with signatures) on the Node and portable paths.
// --quick runs N = 2^16 only. Other benchmarks add sections with runSection (./harness.js).
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { nodeHasher } from '@msi/crypto-node';
import { createWasmHasherSync } from '@msi/hash-wasm';
import { type MerkleHasher, MerkleTree, portableHasher, verifyInclusion } from '@msi/merkle';
import { formatRate, formatRatio, measure, runSection, type Section, sinkValue } from './harness.js';
import {
  merkletreejsBuild,
  naiveRfc9162Root,
  openZeppelinBuild,
  openZeppelinValues,
  sha256Buffer,
} from './peers.js';
import { receiptVerification } from './receipt-bench.js';

const SIZES = process.argv.includes('--quick') ? [2 ** 16] : [2 ** 16, 2 ** 20];
/** OpenZeppelin builds ~10k leaves/s, so it runs on this N only (2^16 would take ~8 s per build). */
const OZ_SIZE = 2 ** 13;
const PROOFS = 10_000;
const TARGET_RATE = 1_000_000;
const TARGET_RATIO = 4;

const WASM = createWasmHasherSync();
const HASHERS: MerkleHasher[] = [portableHasher(), nodeHasher(), WASM, createWasmHasherSync({ simd: false })];

const NAIVE = 'naive RFC 9162 (crypto.hash)';
const MERKLETREEJS = 'merkletreejs';
const OPENZEPPELIN = '@openzeppelin/merkle-tree';
const msiBuild = (hasher: MerkleHasher) => `MerkleTree.fromLeaves (${hasher.name})`;

/** N random 32-byte leaves, as views into one buffer. */
function randomLeaves(n: number): Uint8Array[] {
  const bytes = new Uint8Array(randomBytes(32 * n));
  return Array.from({ length: n }, (_, i) => bytes.subarray(32 * i, 32 * i + 32));
}

const asBuffers = (leaves: readonly Uint8Array[]) =>
  leaves.map((l) => Buffer.from(l.buffer, l.byteOffset, l.byteLength));
const pow = (n: number) => `2^${Math.log2(n)}`;

/** leaves/s of each build by implementation and N, for the targets section. */
const buildRates = new Map<string, number>();

function buildRow(section: Section, impl: string, n: number, build: () => unknown, note = ''): void {
  const t = measure(build, { opsPerRun: n, minRuns: 3 });
  buildRates.set(`${impl}@${n}`, t.opsPerSec);
  section.add({ implementation: impl, N: pow(n), 'leaves/s': formatRate(t.opsPerSec), runs: t.runs, note });
}

/** Every @msi/merkle hasher and the naive build must agree on the root before anything is timed. */
function checkRoots(leaves: Uint8Array[]): void {
  const want = Buffer.from(naiveRfc9162Root(leaves)).toString('hex');
  for (const hasher of HASHERS) {
    const got = Buffer.from(MerkleTree.fromLeaves(hasher, leaves).root()).toString('hex');
    if (got !== want) throw new Error(`hasher ${hasher.name} builds root ${got}, the naive build ${want}`);
  }
}

function treeBuilds(section: Section): void {
  for (const n of SIZES) {
    const leaves = randomLeaves(n);
    checkRoots(leaves);
    for (const hasher of HASHERS)
      buildRow(section, msiBuild(hasher), n, () => MerkleTree.fromLeaves(hasher, leaves));
    buildRow(section, NAIVE, n, () => naiveRfc9162Root(leaves), 'recursive, root only');
    const buffers = asBuffers(leaves);
    buildRow(section, MERKLETREEJS, n, () => merkletreejsBuild(buffers), 'sha256 = crypto.hash');
  }
  const values = openZeppelinValues(randomLeaves(OZ_SIZE));
  buildRow(section, OPENZEPPELIN, OZ_SIZE, () => openZeppelinBuild(values), 'keccak256');
  section.note('@msi/merkle builds keep every level (MerkleTree); the naive build computes the root only.');
  section.note(
    'merkletreejs: new MerkleTree(leaves, sha256, { hashLeaves: true, sortPairs: false }), Buffer leaves.',
  );
  section.note(
    `${OPENZEPPELIN}: StandardMerkleTree.of(values, ['bytes32']) on N = ${pow(OZ_SIZE)} only (too slow for ` +
      '2^16+); values hex-encoded before timing.',
  );
}

function targets(section: Section): void {
  const rate = (impl: string, n: number) => buildRates.get(`${impl}@${n}`) ?? Number.NaN;
  for (const n of SIZES) {
    const wasm = rate(msiBuild(WASM), n);
    const ratios = [wasm / rate(MERKLETREEJS, n), wasm / rate(OPENZEPPELIN, OZ_SIZE), wasm / rate(NAIVE, n)];
    const pass = wasm >= TARGET_RATE && ratios.every((r) => r >= TARGET_RATIO);
    section.add({
      N: pow(n),
      [`${WASM.name} leaves/s`]: formatRate(wasm),
      'vs merkletreejs': formatRatio(ratios[0] ?? Number.NaN),
      'vs openzeppelin': formatRatio(ratios[1] ?? Number.NaN),
      'vs naive RFC 9162': formatRatio(ratios[2] ?? Number.NaN),
      target: pass ? 'PASS' : 'FAIL',
    });
  }
  section.note(`ratios vs OpenZeppelin use its rate at N = ${pow(OZ_SIZE)}.`);
}

function proofs(section: Section): void {
  const perSecond = (operation: string, n: number, run: () => unknown) => {
    const t = measure(run, { opsPerRun: PROOFS });
    section.add({ operation, N: pow(n), 'per second': formatRate(t.opsPerSec) });
  };
  for (const n of SIZES) {
    const leaves = randomLeaves(n);
    const tree = MerkleTree.fromLeaves(WASM, leaves);
    const root = tree.root();
    const indices = Array.from({ length: PROOFS }, () => Math.floor(Math.random() * n));
    // Proofs are counted, not kept, so the timing is not dominated by promoting 160k arrays per run.
    perSecond('generate: MerkleTree.inclusionProof', n, () => {
      let hashes = 0;
      for (const i of indices) hashes += tree.inclusionProof(i).length;
      return hashes;
    });
    const cases = indices.map((i) => ({ i, leafHash: tree.leafHash(i), proof: tree.inclusionProof(i) }));
    for (const hasher of HASHERS) {
      perSecond(`verify: verifyInclusion (${hasher.name})`, n, () => {
        for (const c of cases) verifyInclusion(hasher, c.i, n, c.leafHash, c.proof, root);
      });
    }
    const js = merkletreejsBuild(asBuffers(leaves));
    const jsRoot = js.getRoot();
    const jsCases = indices.map((i) => {
      const leaf = sha256Buffer(leaves[i] ?? new Uint8Array(0));
      return { i, leaf, proof: js.getProof(leaf, i) };
    });
    perSecond('generate: merkletreejs getProof(leaf, index)', n, () => {
      let hashes = 0;
      for (const c of jsCases) hashes += js.getProof(c.leaf, c.i).length;
      return hashes;
    });
    perSecond('verify: merkletreejs verify', n, () => {
      for (const c of jsCases)
        if (!js.verify(c.proof, c.leaf, jsRoot)) throw new Error('merkletreejs proof failed');
    });
  }
  section.note(
    'proof generation does no hashing (it copies stored nodes), so it does not depend on the hasher.',
  );
}

console.log(
  `MSI core benchmark — Node ${process.versions.node}, ${cpus()[0]?.model ?? 'unknown CPU'}, one core`,
);
await runSection('Tree build: leaf + node hashes, leaves/s (higher is better)', treeBuilds);
await runSection(
  `Targets: ${WASM.name} vs peers (>= ${formatRate(TARGET_RATE)} leaves/s, >= ${TARGET_RATIO}x)`,
  targets,
);
await runSection(
  `Inclusion proofs: generation and verification per second (${PROOFS} random leaves)`,
  proofs,
);
await runSection('Receipt verification, median per receipt (lower is better)', (section) =>
  receiptVerification(section, WASM),
);
console.log(`\n(sink ${sinkValue()})`);
