import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Ed25519Verifier,
  formatKeyId,
  formatVerifierKey,
  type NoteSigner,
  type NoteVerifierKey,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import type { MerkleHasher } from '@msi/merkle';
import type { Logger } from '@msi/service-kit';
import { TileLogClient } from '@msi/tiles-client';
import { MAX_REQUEST_BYTES, parseAddCheckpointRequest } from './add-checkpoint-request.js';
import { TileFeed } from './tile-feed.js';
import { type AddCheckpointOutcome, Witness } from './witness.js';
import { WitnessError, type WitnessErrorCode } from './witness-error.js';
import { WitnessState } from './witness-state.js';

/** What a witness server needs; keys already parsed (see config.ts for the environment). */
export interface WitnessServerOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  /** The witness's own key: a 0x04 (cosignature) signer. */
  readonly signer: NoteSigner;
  /** The Ed25519 (0x01) verifier keys of the logs it witnesses; each key's name is a log origin. */
  readonly logKeys: readonly NoteVerifierKey[];
  /** The file holding the witness's state (created on first cosignature). */
  readonly stateFile: string;
  readonly hasher?: MerkleHasher;
  readonly ed?: Ed25519Verifier;
  /** Milliseconds since the epoch (the cosignature time is its whole seconds). */
  readonly nowMs?: () => number;
  readonly log: Logger;
  /** Tile logs to read on its own (C2SP tlog-tiles base URLs) and how often, ms (tile-feed.ts). */
  readonly feed?: { readonly tiles: readonly string[]; readonly intervalMs: number };
}

/** A running witness. */
export interface RunningWitness {
  readonly port: number;
  /** The witness's verifier key string (`<name>+<key id>+<base64(0x04 || public key)>`). */
  readonly verifierKey: string;
  close(): Promise<void>;
}

/** HTTP status of each refusal (C2SP tlog-witness), one table. */
const STATUS: Record<WitnessErrorCode, number> = {
  REQUEST_MALFORMED: 400,
  OLD_SIZE_TOO_LARGE: 400,
  UNKNOWN_ORIGIN: 404,
  SIGNATURE_INVALID: 403,
  OLD_SIZE_MISMATCH: 409,
  SAME_SIZE_OTHER_ROOT: 409,
  INCONSISTENT: 422,
  STATE_CORRUPT: 500,
  CONFIG_INVALID: 500,
};

/** Refusals that may be evidence of a misbehaving log (or an attack): logged at error level. */
const SERIOUS: ReadonlySet<WitnessErrorCode> = new Set([
  'INCONSISTENT',
  'SAME_SIZE_OTHER_ROOT',
  'SIGNATURE_INVALID',
]);

/**
 * Starts a witness speaking C2SP tlog-witness over HTTP: `POST /add-checkpoint`, and
 * `GET /checkpoints/<origin>` for the newest checkpoint it cosigned; with `feed`, it also reads the
 * given tile logs itself (tile-feed.ts). Opens the state
 * file first (a corrupt file stops the start with `STATE_CORRUPT`).
 */
export async function startWitness(options: WitnessServerOptions): Promise<RunningWitness> {
  const { log } = options;
  const state = await WitnessState.open(options.stateFile);
  const witness = new Witness({
    signer: options.signer,
    logKeys: options.logKeys,
    state,
    hasher: options.hasher ?? nodeHasher(),
    ed: options.ed ?? nodeEd25519(),
    nowMs: options.nowMs ?? Date.now,
  });
  const feed =
    options.feed === undefined || options.feed.tiles.length === 0
      ? undefined
      : new TileFeed({
          witness,
          logs: options.feed.tiles.map(
            (base) => new TileLogClient(base, { hasher: options.hasher ?? nodeHasher() }),
          ),
          intervalMs: options.feed.intervalMs,
          log,
        });
  const server = createServer((req, res) => {
    handle(witness, log, req, res).catch((error: unknown) => {
      log.error('add-checkpoint failed', { error });
      if (!res.headersSent) reply(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const verifierKey = formatVerifierKey(options.signer);
  log.info('witness listening', {
    host: options.host,
    port,
    verifierKey,
    keyId: formatKeyId(options.signer.keyId),
  });
  feed?.start();
  return {
    port,
    verifierKey,
    close: async () => {
      await feed?.stop();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

async function handle(
  witness: Witness,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path.startsWith(CHECKPOINTS)) return newestCosigned(witness, req, res, path.slice(CHECKPOINTS.length));
  if (path !== '/add-checkpoint') return reply(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  const body = await readBody(req);
  if (body === undefined) res.setHeader('Connection', 'close');
  if (body === undefined) return reply(res, 413, 'text/plain; charset=utf-8', 'request body too large\n');
  let outcome: AddCheckpointOutcome;
  try {
    outcome = await witness.addCheckpoint(parseAddCheckpointRequest(body));
  } catch (error: unknown) {
    if (!(error instanceof WitnessError) || error.code !== 'REQUEST_MALFORMED') throw error;
    log.info('add-checkpoint refused', { code: error.code, reason: error.message });
    return reply(res, 400, 'text/plain; charset=utf-8', `${error.message}\n`);
  }
  if (outcome.kind === 'cosigned') {
    log.debug('checkpoint cosigned', { origin: outcome.origin, size: outcome.size });
    return reply(res, 200, 'text/plain; charset=utf-8', outcome.lines);
  }
  const status = STATUS[outcome.code];
  const fields = { status, code: outcome.code, reason: outcome.message, currentSize: outcome.currentSize };
  if (SERIOUS.has(outcome.code)) log.error('add-checkpoint REFUSED: possible log misbehaviour', fields);
  else log.info('add-checkpoint refused', fields);
  if (status === 409) return reply(res, 409, 'text/x.tlog.size', `${outcome.currentSize}\n`);
  return reply(res, status, 'text/plain; charset=utf-8', `${outcome.message}\n`);
}

const CHECKPOINTS = '/checkpoints/';

/**
 * `GET /checkpoints/<percent-encoded origin>`: the newest checkpoint of that log this witness cosigned
 * since it started (pushed or read from tiles), with its cosignature line; 404 when none yet.
 */
function newestCosigned(witness: Witness, req: IncomingMessage, res: ServerResponse, encoded: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  let origin: string;
  try {
    origin = decodeURIComponent(encoded);
  } catch {
    reply(res, 400, 'text/plain; charset=utf-8', 'the origin is not percent-encoded UTF-8\n');
    return;
  }
  const note = witness.newestCosigned(origin);
  if (note === undefined) {
    reply(res, 404, 'text/plain; charset=utf-8', 'no checkpoint of that log cosigned yet\n');
    return;
  }
  res.setHeader('Cache-Control', 'no-cache');
  reply(res, 200, 'text/plain; charset=utf-8', note);
}

/** The request body, or undefined once it exceeds MAX_REQUEST_BYTES (hostile input: bounded). */
async function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
