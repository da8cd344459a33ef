import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { status as grpcStatus } from '@grpc/grpc-js';
import { type Logger, readBoundedBody } from '@msi/service-kit';
import type { ErrorJson } from './api-types.js';
import { ConsoleError } from './console-error.js';
import type { GatewayRoute } from './gateway-routes.js';
import { httpStatusOfConsole, httpStatusOfGrpc } from './http-status.js';
import { asObject } from './request-fields.js';
import { securityHeaders } from './security-headers.js';
import { findStaticFile } from './static-files.js';
import { UpstreamFailure } from './upstream.js';

/** The largest API request body. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ConsoleServerOptions {
  readonly host: string;
  readonly port: number;
  /** The built app (index.html and assets/). */
  readonly staticDir: string;
  readonly routes: ReadonlyMap<string, GatewayRoute>;
  /** Origins allowed to call the API cross-origin; empty: CORS off (same origin only). */
  readonly corsOrigins: readonly string[];
  readonly log: Logger;
}

export interface RunningConsoleServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The console's one HTTP server: the API under /api/v1/, /healthz, and the built app for the rest. */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<RunningConsoleServer> {
  const server = createServer((request, response) => {
    serve(options, request, response).catch((error: unknown) => {
      options.log.error('request failed', { error, path: request.url });
      if (!response.headersSent) sendJson(response, 500, { code: 'INTERNAL', message: 'internal error' });
      else response.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(options: ConsoleServerOptions, request: IncomingMessage, response: ServerResponse) {
  const path = new URL(request.url ?? '/', 'http://console.invalid').pathname;
  for (const [name, value] of Object.entries(securityHeaders())) response.setHeader(name, value);
  if (path === '/healthz') return sendJson(response, 200, { status: 'SERVING' });
  if (path.startsWith('/api/')) return serveApi(options, path, request, response);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return sendError(response, new ConsoleError('METHOD_NOT_ALLOWED', `${request.method} is not allowed`));
  }
  const file = await findStaticFile(options.staticDir, path);
  if (file === undefined) {
    return sendError(response, new ConsoleError('ROUTE_NOT_FOUND', 'no such file'));
  }
  response.writeHead(200, {
    'content-type': file.contentType,
    'content-length': file.body.length,
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}

async function serveApi(
  options: ConsoleServerOptions,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
) {
  response.setHeader('cache-control', 'no-store');
  const origin = request.headers.origin;
  const crossOrigin = origin !== undefined && origin !== `http://${request.headers.host ?? ''}`;
  if (crossOrigin) {
    if (!options.corsOrigins.includes(origin)) {
      return sendError(
        response,
        new ConsoleError('ORIGIN_NOT_ALLOWED', 'cross-origin calls are not allowed'),
      );
    }
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('vary', 'origin');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      });
      return response.end();
    }
  }
  const route = options.routes.get(path);
  if (route === undefined) return sendError(response, new ConsoleError('ROUTE_NOT_FOUND', `no API ${path}`));
  if (request.method !== 'POST') {
    return sendError(response, new ConsoleError('METHOD_NOT_ALLOWED', 'the API takes POST'));
  }
  try {
    const body = asObject(parseJson(await readBody(request)));
    sendJson(response, 200, await route(body, request.headers.authorization));
  } catch (error: unknown) {
    if (error instanceof ConsoleError) return sendError(response, error);
    if (error instanceof UpstreamFailure) {
      const code = grpcStatus[error.error.code] ?? 'UNKNOWN';
      const body: ErrorJson = { code, message: error.message };
      return sendJson(response, httpStatusOfGrpc(error.error.code), body);
    }
    throw error;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const read = await readBoundedBody(request, MAX_BODY_BYTES);
  if (read.kind === 'body') return read.body;
  throw new ConsoleError('BODY_TOO_LARGE', `the request body is over ${MAX_BODY_BYTES} bytes`);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'));
  } catch {
    throw new ConsoleError('BODY_NOT_JSON', 'the request body is not JSON');
  }
}

function sendError(response: ServerResponse, error: ConsoleError): void {
  const body: ErrorJson = { code: error.code, message: error.message };
  sendJson(response, httpStatusOfConsole(error.code), body);
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
