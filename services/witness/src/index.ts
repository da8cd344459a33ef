export { parseAddCheckpointRequest } from './add-checkpoint-request.js';
export { type Config, loadConfig } from './config.js';
export { type Decision, decideAddCheckpoint, type LogState } from './decide-add-checkpoint.js';
export { WitnessError, type WitnessErrorCode } from './witness-error.js';
export { type RunningWitness, startWitness, type WitnessServerOptions } from './witness-server.js';
