import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Metadata } from '@grpc/grpc-js';
import { isUuidV7 } from '@msi/core';
import { type Logger, readBoundedBody } from '@msi/service-kit';
import type { CallInfo, IngestCalls } from './ingest-calls.js';
import { IngestError } from './ingest-error.js';
import {
  acksAnswer,
  httpRefusal,
  ingestRefusal,
  type LineageAnswer,
  lineageRefusal,
  notAnchored,
} from './lineage-answer.js';
import { LineageError } from './lineage-error.js';
import { lineageEvents, planParts } from './lineage-events.js';
import { ANCHORED_EVENT_TYPES, readRunEvent } from './run-event.js';

/** The OpenLineage HTTP transport's default path (its `endpoint` setting). */
export const LINEAGE_PATH = '/api/v1/lineage';

export interface LineageServerOptions {
  readonly host: string;
  readonly port: number;
  /** Ingest's call steps: the same authentication, validation, idempotency and durability as gRPC. */
  readonly calls: IngestCalls;
  /** Bodies larger than this are refused (413). */
  readonly maxBodyBytes: number;
  /** HTTPS with ingest's certificate when its gRPC listener has TLS; plain HTTP otherwise. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  readonly log: Logger;
}

export interface RunningLineageServer {
  /** The port actually bound (the listen address may say 0). */
  readonly port: number;
  /** Stops accepting requests and waits (up to `graceMs`) for running ones. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves `POST /api/v1/lineage`: an OpenLineage RunEvent in, its events submitted through ingest's
 * own call steps (docs/OPENLINEAGE.md). Requests are handled one at a time per connection, bodies are bounded.
 */
export async function startLineageServer(options: LineageServerOptions): Promise<RunningLineageServer> {
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    answer(options, request).then(
      (result) => send(response, result),
      (error: unknown) => {
        // A client that went away mid-body: nobody to answer.
        if (request.socket.destroyed || response.writableEnded) return;
        options.log.error('OpenLineage request failed', { error });
        send(response, { status: 500, body: { code: 'INTERNAL', message: 'internal error' } });
      },
    );
  };
  const server: Server =
    options.tls === undefined ? createHttpServer(handler) : createHttpsServer(options.tls, handler);
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    port,
    async close(graceMs = 5000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

const METHOD = `POST ${LINEAGE_PATH}`;

async function answer(options: LineageServerOptions, request: IncomingMessage): Promise<LineageAnswer> {
  const path = (request.url ?? '').split('?')[0];
  if (path !== LINEAGE_PATH)
    return httpRefusal('NOT_FOUND', `no endpoint ${path}; POST RunEvents to ${LINEAGE_PATH}`);
  if (request.method !== 'POST') return httpRefusal('METHOD_NOT_ALLOWED', `${LINEAGE_PATH} takes POST`);
  const { calls } = options;
  const call = callInfo(request);
  try {
    const identity = calls.authorize(call, METHOD);
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      throw new LineageError(
        'UNSUPPORTED_MEDIA_TYPE',
        'body',
        'the body must be a RunEvent as application/json',
      );
    }
    const run = readRunEvent(parseJson(await readBody(request, options.maxBodyBytes)));
    if (!ANCHORED_EVENT_TYPES.has(run.eventType)) return notAnchored(run.eventType);
    const parts = planParts(run.inputs.length, run.outputs.length);
    const acks = await calls.submitAuthorized(
      call,
      METHOD,
      identity,
      lineageEvents(run),
      'events',
      (k) => `events[${k}]`,
    );
    return acksAnswer(parts, acks, run.eventType, isUuidV7(run.runIdBytes) ? 'run.runId' : 'eventTime');
  } catch (error: unknown) {
    const refused =
      error instanceof LineageError
        ? lineageRefusal(error)
        : error instanceof IngestError
          ? ingestRefusal(error)
          : undefined;
    if (refused === undefined) throw error;
    calls.deps.metrics.rejected.inc({ code: String(refused.body.code) });
    return refused;
  }
}

/** The parts of a gRPC call ingest's steps look at, for an HTTP request: its API key, its peer, no deadline. */
function callInfo(request: IncomingMessage): CallInfo {
  const metadata = new Metadata();
  const authorization = request.headers.authorization;
  if (authorization !== undefined) metadata.set('authorization', authorization);
  const peer = `${request.socket.remoteAddress ?? 'unknown'}:${request.socket.remotePort ?? 0}`;
  return {
    metadata,
    getPeer: () => peer,
    getAuthContext: () => null,
    getDeadline: () => Number.POSITIVE_INFINITY,
  };
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const read = await readBoundedBody(request, limit);
  if (read.kind === 'body') return read.body;
  throw new LineageError(
    'BODY_TOO_LARGE',
    'body',
    `the body is over ${limit} bytes (MSI_INGEST_OPENLINEAGE_MAX_BODY_BYTES)`,
  );
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (cause: unknown) {
    throw new LineageError('BODY_NOT_JSON', 'body', 'the body is not JSON (UTF-8)', { cause });
  }
}

function send(response: ServerResponse, result: LineageAnswer): void {
  const text = JSON.stringify(result.body);
  response.writeHead(result.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(result.status === 413 ? { connection: 'close' } : {}),
    ...result.headers,
  });
  response.end(text);
}
