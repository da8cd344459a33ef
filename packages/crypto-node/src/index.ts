export { nodeEd25519 } from './node-ed25519.js';
export { nodeHasher } from './node-hasher.js';
