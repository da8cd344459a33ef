/**
 * The messages between the dev stack and a server keeper (server-keeper.ts), a detached process
 * that hosts one embedded server (nats-server or Postgres) so that a terminal's Ctrl-C does not
 * reach it and the stack can stop it last. Pure: shapes and validators, no I/O.
 *
 * The keeper is started with a {@link KeeperSpec} as its only argument and an IPC channel. It sends
 * `ready` (or `failed`) once; then `exited` if the server dies on its own, or `stopped` after a
 * `stop` command, a SIGTERM or the loss of the IPC channel (its parent died) made it stop the server.
 */

/** What a keeper hosts: a nats-server child, or an embedded Postgres cluster. */
export type KeeperSpec =
  | {
      readonly kind: 'nats';
      /** The nats-server binary. */
      readonly binary: string;
      readonly port: number;
      /** The JetStream store directory. */
      readonly storeDir: string;
      /** Keep the store on stop (the default); false: it is deleted, as for a temporary server. */
      readonly persistent?: boolean;
    }
  | {
      readonly kind: 'postgres';
      /** The cluster's data directory (reused when it already holds one). */
      readonly dataDir: string;
      readonly port: number;
      /** Keep the data directory on stop (false: it is deleted, as for a temporary cluster). */
      readonly persistent: boolean;
    };

/** What a keeper reports to its parent. */
export type KeeperReport =
  /** The server serves at `url`; `serverPid` is its process (Postgres: the postmaster). */
  | { readonly type: 'ready'; readonly url: string; readonly port: number; readonly serverPid: number }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'exited'; readonly detail: string }
  | { readonly type: 'stopped' };

/** What the parent may ask of a keeper. */
export type KeeperCommand = { readonly type: 'stop' };

/** Why a keeper stops its server. */
export type StopReason = 'stop-command' | 'disconnected' | 'SIGTERM';

export type KeeperErrorCode =
  | 'KEEPER_PROTOCOL'
  | 'KEEPER_START_FAILED'
  | 'KEEPER_EXITED'
  | 'KEEPER_TIMEOUT'
  | 'KEEPER_ABORTED';

/** A keeper that could not be started, or a message that does not follow this protocol. */
export class KeeperError extends Error {
  constructor(
    readonly code: KeeperErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'KeeperError';
  }
}

type Fields = Readonly<Record<string, unknown>>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536;
}

function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Parses the keeper's command-line argument (JSON written by the parent) into a spec. */
export function parseKeeperSpec(json: string | undefined): KeeperSpec {
  let value: unknown;
  try {
    value = JSON.parse(json ?? '');
  } catch {
    throw new KeeperError('KEEPER_PROTOCOL', 'the keeper wants one JSON argument: its server spec');
  }
  if (isFields(value) && isPort(value.port)) {
    const { kind, port } = value;
    const { persistent } = value;
    if (kind === 'nats' && isText(value.binary) && isText(value.storeDir)) {
      if (persistent === undefined) return { kind, binary: value.binary, port, storeDir: value.storeDir };
      if (typeof persistent === 'boolean') {
        return { kind, binary: value.binary, port, storeDir: value.storeDir, persistent };
      }
    }
    if (kind === 'postgres' && isText(value.dataDir) && typeof persistent === 'boolean') {
      return { kind, dataDir: value.dataDir, port, persistent };
    }
  }
  throw new KeeperError('KEEPER_PROTOCOL', `not a keeper spec: ${String(json).slice(0, 200)}`);
}

/** Narrows a message received from a keeper; anything else is a protocol error. */
export function parseKeeperReport(message: unknown): KeeperReport {
  if (isFields(message)) {
    switch (message.type) {
      case 'ready':
        if (isText(message.url) && isPort(message.port) && isPid(message.serverPid)) {
          return { type: 'ready', url: message.url, port: message.port, serverPid: message.serverPid };
        }
        break;
      case 'failed':
        if (typeof message.message === 'string') return { type: 'failed', message: message.message };
        break;
      case 'exited':
        if (typeof message.detail === 'string') return { type: 'exited', detail: message.detail };
        break;
      case 'stopped':
        return { type: 'stopped' };
    }
  }
  throw new KeeperError('KEEPER_PROTOCOL', `not a keeper report: ${JSON.stringify(message)}`);
}

/** True for the parent's `stop` command (anything else a keeper receives is ignored). */
export function isStopCommand(message: unknown): message is KeeperCommand {
  return isFields(message) && message.type === 'stop';
}
