export { assembleProof, fetchProof, type NodeFetcher } from './assemble-proof.js';
export { CompactRange, type NodeVisitor } from './compact-range.js';
export { HASH_SIZE, type MerkleHasher, portableHasher } from './hasher.js';
export { MerkleTree, merkleRoot, merkleRootOfLeafHashes } from './merkle-tree.js';
export {
  compactRangeNodes,
  consistencyNodes,
  inclusionNodes,
  isPerfect,
  type NodeAddress,
  nodesToFetch,
  perfectSubtrees,
} from './nodes.js';
export { ProofError, type ProofErrorCode } from './proof-error.js';
export {
  decomposeInclusionProof,
  rootFromConsistencyProof,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './verify.js';
