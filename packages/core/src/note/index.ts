export { base64Length, decodeBase64, encodeBase64, encodeBase64Into } from './base64.js';
export {
  defaultEd25519,
  ED25519_PUBLIC_KEY_SIZE,
  ED25519_SEED_SIZE,
  ED25519_SIGNATURE_SIZE,
  type Ed25519Verifier,
  isStrongEd25519PublicKey,
  portableEd25519,
} from './ed25519.js';
export { MAX_NOTE_SIGNATURES, NoteError, type NoteErrorCode } from './note-error.js';
export {
  formatKeyId,
  formatVerifierKey,
  type GeneratedNoteKey,
  generateNoteKey,
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  type NoteKeyAlgorithm,
  type NoteSigner,
  type NoteVerifierKey,
  noteKeyId,
  parseSignerKey,
  parseVerifierKey,
  verifierKeyOf,
} from './note-key.js';
export {
  addNoteSignature,
  formatNote,
  type NoteSignature,
  parseNote,
  type SignedNote,
  signNote,
  signNoteText,
  verifyNoteSignature,
} from './signed-note.js';
export { isValidKeyName } from './text.js';
