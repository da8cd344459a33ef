#!/usr/bin/env node
// Generates a note key pair for a deployment: `node deploy/keygen.mjs <log|witness> <name> <out dir>`.
// Writes <out dir>/<name>.key (the signer key PRIVATE+KEY+..., mode 0600: a secret) and
// <out dir>/<name>.vkey (the verifier key, public: give it to verifiers, witnesses and auditors).
// Needs the workspace built (`npx tsc -b`); in the image it runs as `node deploy/keygen.mjs ...`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [kind, name, outDir] = process.argv.slice(2);
if ((kind !== 'log' && kind !== 'witness') || name === undefined || outDir === undefined) {
  console.error('usage: node deploy/keygen.mjs <log|witness> <name> <out dir>');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { generateNoteKey, NOTE_ALG_ED25519, NOTE_ALG_COSIGNATURE_V1 } = await import(
  join(root, 'packages/core/dist/index.js')
);
const keyFile = join(outDir, `${name}.key`);
if (existsSync(keyFile)) {
  console.error(`${keyFile} exists: refusing to overwrite a key (see deploy/OPERATIONS.md, "Keys")`);
  process.exit(1);
}
const algorithm = kind === 'log' ? NOTE_ALG_ED25519 : NOTE_ALG_COSIGNATURE_V1;
const key = generateNoteKey(name, new Uint8Array(randomBytes(32)), algorithm);
mkdirSync(outDir, { recursive: true });
writeFileSync(keyFile, `${key.signerKey}\n`, { mode: 0o600, flag: 'wx' });
writeFileSync(join(outDir, `${name}.vkey`), `${key.verifierKey}\n`, { mode: 0o644 });
console.log(key.verifierKey);
