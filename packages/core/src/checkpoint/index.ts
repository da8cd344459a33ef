export {
  CHECKPOINT_ROOT_SIZE,
  type Checkpoint,
  formatCheckpointBody,
  parseCheckpointBody,
} from './checkpoint-body.js';
export { CheckpointError, type CheckpointErrorCode } from './checkpoint-error.js';
export {
  type Cosignature,
  cosignatureMessage,
  cosignatureTime,
  cosignCheckpoint,
  verifyCosignatures,
} from './cosignature.js';
export {
  type OpenedCheckpoint,
  openCheckpoint,
  parseCheckpointNote,
  signCheckpoint,
} from './signed-checkpoint.js';
