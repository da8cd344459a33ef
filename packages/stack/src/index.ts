export {
  type ApiKeyCredential,
  type Pipeline,
  type PipelineOptions,
  startPipeline,
  waitForHealth,
} from './pipeline.js';
export { type ProcessLine, SupervisedProcess, type SupervisedProcessOptions } from './supervised-process.js';
