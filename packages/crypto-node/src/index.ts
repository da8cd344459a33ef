export { nodeHasher } from './node-hasher.js';
export { nodeEd25519 } from './node-ed25519.js';
