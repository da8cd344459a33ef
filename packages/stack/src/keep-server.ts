import type { KeeperReport, StopReason } from './keeper-protocol.js';

/** A running server as a keeper sees it. */
export interface KeptServer {
  readonly url: string;
  readonly port: number;
  /** The server's process id (Postgres: the postmaster's). */
  readonly pid: number;
  /** Stops the server gracefully; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts the server; calls `onUnexpectedExit` if the server exits before `stop()` was called (with
 * what it said last). Rejects when the server does not come up.
 */
export type StartKeptServer = (onUnexpectedExit: (detail: string) => void) => Promise<KeptServer>;

/** The keeper's side of its IPC channel. */
export interface KeeperChannel {
  /** Sends a report; resolves once it is written (at once when the channel is gone). */
  send(report: KeeperReport): Promise<void>;
}

/**
 * A keeper's whole life, without the process around it: starts the server, reports `ready`, then
 * waits for the first of `stopRequested` (a stop command, SIGTERM, or the parent gone) and the
 * server's own exit. A stop requested while the server is still starting stops it once started,
 * so no server outlives its keeper. Resolves with the keeper's exit status: 0 after a clean stop,
 * 1 when the server failed to start, died on its own, or failed to stop.
 */
export async function keepServer(
  start: StartKeptServer,
  channel: KeeperChannel,
  stopRequested: Promise<StopReason>,
): Promise<number> {
  let serverExited: (detail: string) => void = () => {};
  const died = new Promise<string>((resolve) => {
    serverExited = resolve;
  });
  let server: KeptServer;
  try {
    server = await start((detail) => serverExited(detail));
  } catch (error: unknown) {
    await channel.send({ type: 'failed', message: messageOf(error) });
    return 1;
  }
  await channel.send({ type: 'ready', url: server.url, port: server.port, serverPid: server.pid });
  const outcome = await Promise.race([
    stopRequested.then((reason) => ({ kind: 'stop', reason }) as const),
    died.then((detail) => ({ kind: 'died', detail }) as const),
  ]);
  if (outcome.kind === 'died') {
    await channel.send({ type: 'exited', detail: outcome.detail });
    return 1;
  }
  try {
    await server.stop();
  } catch (error: unknown) {
    await channel.send({ type: 'failed', message: `stopping the server failed: ${messageOf(error)}` });
    return 1;
  }
  await channel.send({ type: 'stopped' });
  return 0;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
