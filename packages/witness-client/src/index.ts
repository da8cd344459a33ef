export {
  type AddCheckpointRequest,
  formatAddCheckpointRequest,
  MAX_PROOF_LINES,
} from './add-checkpoint-request.js';
export { type AddCheckpointResponse, addCheckpoint } from './witness-client.js';
