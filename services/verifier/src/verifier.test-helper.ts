import { type InProcessParts, startInProcess } from '@msi/service-kit';
import { type RunningVerifier, startVerifier, type VerifierOptions } from './verifier.js';

/** A verifier started by startTestVerifier: its health and metrics port too. */
export type RunningTestVerifier = RunningVerifier & InProcessParts;

/** Starts a verifier in this process on a pool of `databaseUrl` (ended by its stop). */
export function startTestVerifier(
  o: Omit<VerifierOptions, 'pool' | 'health' | 'registry'> & { databaseUrl: string; metricsPort?: number },
): Promise<RunningTestVerifier> {
  const { databaseUrl, metricsPort, ...options } = o;
  return startInProcess(
    { service: 'verifier', databaseUrl, ...(metricsPort === undefined ? {} : { metricsPort }) },
    (deps) => startVerifier({ ...options, ...deps }),
  );
}
