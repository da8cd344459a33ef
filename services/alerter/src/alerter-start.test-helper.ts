import { type InProcessParts, startInProcess } from '@msi/service-kit';
import { type AlerterOptions, type RunningAlerter, startAlerter } from './alerter.js';

/** An alerter started by startTestAlerter: its health and metrics port too. */
export type RunningTestAlerter = RunningAlerter & InProcessParts;

/** Starts an alerter in this process on a pool of `databaseUrl` (12 connections, ended by its stop). */
export function startTestAlerter(
  o: Omit<AlerterOptions, 'pool' | 'health' | 'registry'> & { databaseUrl: string; metricsPort?: number },
): Promise<RunningTestAlerter> {
  const { databaseUrl, metricsPort, ...options } = o;
  return startInProcess(
    {
      service: 'alerter',
      databaseUrl,
      maxConnections: 12,
      ...(metricsPort === undefined ? {} : { metricsPort }),
    },
    (deps) => startAlerter({ ...options, ...deps }),
  );
}
