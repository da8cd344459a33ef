import { type FileHandle, open } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseTileLogPath, TileError, type TileLogPath } from '@msi/core';
import type { Logger } from '@msi/service-kit';

export interface TileServerOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  /** The directory of the log (`checkpoint`, `tile/…`). */
  readonly dir: string;
  readonly log: Logger;
}

export interface RunningTileServer {
  /** The port listened on. */
  readonly port: number;
  close(): Promise<void>;
}

/** Tiles and bundles never change once written: cached for a year by any cache. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The checkpoint is the one file that changes: revalidated on every use. */
const CHECKPOINT = 'no-cache';

const CONTENT_TYPES: Record<TileLogPath['kind'], string> = {
  checkpoint: 'text/plain; charset=utf-8',
  tile: 'application/octet-stream',
  entries: 'application/octet-stream',
  'cose-tree-head': 'application/cose; cose-type="cose-sign1"',
};

/**
 * A static server of a C2SP tlog-tiles log: GET/HEAD of `/checkpoint`, `/tile/<L>/<N>[.p/<W>]` and
 * `/tile/entries/<N>[.p/<W>]`, and MSI's COSE tree heads `/cose/tree-head/<N>` (each path in its one canonical spelling, else 404) from the directory;
 * nothing else (405 for other methods). The request path is hostile input: only a path that parses
 * as a tile path is joined to the directory, so nothing outside the log can be named.
 */
export async function startTileServer(options: TileServerOptions): Promise<RunningTileServer> {
  const server = createServer((req, res) => {
    serve(options, req, res).catch((error: unknown) => {
      options.log.warn('tile request failed', { error, path: req.url });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function serve(options: TileServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('Access-Control-Allow-Origin', '*');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  const path = logPath(req.url ?? '');
  if (path === undefined) {
    notFound(res);
    return;
  }
  // The file is opened once and its size and bytes both come from that open file: the checkpoint is
  // replaced by a rename while requests run (every round), and a size read by path, then bytes read
  // by path again, could mix two checkpoints (a length of one, a text cut from the other).
  const handle = await open(join(options.dir, path.text), 'r').catch(() => undefined);
  if (handle === undefined) {
    notFound(res);
    return;
  }
  try {
    await serveOpenFile(handle, path.parsed.kind, req, res);
  } finally {
    await handle.close();
  }
}

async function serveOpenFile(
  handle: FileHandle,
  kind: TileLogPath['kind'],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const found = await handle.stat();
  if (!found.isFile()) {
    notFound(res);
    return;
  }
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[kind],
    'Content-Length': found.size,
    'Cache-Control': kind === 'checkpoint' ? CHECKPOINT : IMMUTABLE,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(handle.createReadStream({ autoClose: false }), res);
  } catch (error: unknown) {
    // A client that went away before the end is no failure of the server's.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  }
}

/** The log path a request URL names (its query ignored), or undefined for anything else. */
function logPath(url: string): { text: string; parsed: TileLogPath } | undefined {
  const text = url.split('?')[0]?.replace(/^\//, '') ?? '';
  try {
    return { text, parsed: parseTileLogPath(text) };
  } catch (error: unknown) {
    if (error instanceof TileError) return undefined;
    throw error;
  }
}

function notFound(res: ServerResponse): void {
  res
    .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' })
    .end('not found\n');
}
