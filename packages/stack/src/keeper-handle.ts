import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KeptServer } from './keep-server.js';
import { KeeperError, type KeeperSpec, parseKeeperReport } from './keeper-protocol.js';

/** How a keeper ended: its own exit, what it reported, what it wrote last. */
export interface KeeperEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Its `exited` report: its server died, and how. */
  readonly serverDied: string | undefined;
  /** The end of its stderr, if any. */
  readonly stderr: string | undefined;
  /** True when stop() asked for it. */
  readonly requested: boolean;
}

/** A server hosted by a keeper process, seen from the process that started it. */
export interface KeeperHandle extends Omit<KeptServer, 'pid'> {
  /** The keeper's process id (also its process group id: it runs detached). */
  readonly pid: number;
  /** The server's process id (Postgres: the postmaster's). */
  readonly serverPid: number;
  /** Resolves once the keeper has exited, asked to or not. */
  readonly ended: Promise<KeeperEnd>;
}

export interface KeeperOptions {
  /** How long the server may take to come up (Postgres initdb takes a while). Default 60 s. */
  readonly readyTimeoutMs?: number;
  /** How long stop() waits for a clean stop before killing the keeper's process group. Default 60 s. */
  readonly stopTimeoutMs?: number;
  /** Called once if the server or its keeper exits before stop(). */
  readonly onUnexpectedExit?: (detail: string) => void;
  /** Gives up a start under way (KEEPER_ABORTED): the keeper and its server are stopped. */
  readonly signal?: AbortSignal;
}

/**
 * The compiled keeper. From src/ (tests run the sources) as from dist/, `../dist/` is the
 * package's build output.
 */
const KEEPER_SCRIPT = fileURLToPath(new URL('../dist/server-keeper.js', import.meta.url));

/**
 * Starts a keeper for `spec` — detached (its own process group and session: a terminal's Ctrl-C
 * does not reach it or its server) with an IPC channel — and resolves once it reports `ready`.
 * stop() asks it to stop the server and waits for it to exit. If this process dies, the channel
 * closes and the keeper stops the server by itself.
 */
export async function startKeeper(spec: KeeperSpec, options: KeeperOptions = {}): Promise<KeeperHandle> {
  const child = spawn(process.execPath, [KEEPER_SCRIPT, JSON.stringify(spec)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192);
  });
  let serverDied: string | undefined;
  const ended = new Promise<Omit<KeeperEnd, 'requested'>>((resolve) => {
    child.once('error', (error) =>
      resolve({ code: null, signal: null, serverDied, stderr: `the keeper could not run: ${error.message}` }),
    );
    child.once('exit', (code, signal) =>
      resolve({ code, signal, serverDied, stderr: stderr.trim().slice(-2000) || undefined }),
    );
  });
  const exited = ended.then(({ code, signal, stderr: said }) =>
    `the ${spec.kind} keeper exited (code ${code}, signal ${signal}) ${serverDied ?? said ?? ''}`.trim(),
  );
  const stopTimeoutMs = options.stopTimeoutMs ?? 60_000;
  let stopping = false;
  let reported = false;
  const unexpected = (detail: string) => {
    if (stopping || reported) return;
    reported = true;
    options.onUnexpectedExit?.(detail);
  };
  try {
    const ready = await awaitReady(child, exited, spec, options.readyTimeoutMs ?? 60_000, options.signal);
    child.on('message', (message: unknown) => {
      const report = parseReportOrUndefined(message);
      if (report?.type !== 'exited') return;
      serverDied = report.detail;
      unexpected(report.detail);
    });
    void exited.then(unexpected);
    return {
      url: ready.url,
      port: ready.port,
      pid: child.pid ?? 0,
      serverPid: ready.serverPid,
      ended: ended.then((end) => ({ ...end, requested: stopping })),
      async stop() {
        stopping = true;
        await terminate(child, exited, stopTimeoutMs);
      },
    };
  } catch (error: unknown) {
    stopping = true;
    await terminate(child, exited, stopTimeoutMs);
    throw error;
  }
}

/** Resolves with the keeper's `ready` report; rejects on `failed`, its exit, or the timeout. */
function awaitReady(
  child: ChildProcess,
  exited: Promise<string>,
  spec: KeeperSpec,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ url: string; port: number; serverPid: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new KeeperError('KEEPER_TIMEOUT', `${spec.kind} did not come up within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = () => {
      settle();
      reject(new KeeperError('KEEPER_ABORTED', `the start of ${spec.kind} was given up`));
    };
    const settle = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted === true) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const onMessage = (message: unknown) => {
      const report = parseReportOrUndefined(message);
      if (report?.type === 'ready') {
        settle();
        resolve(report);
      } else if (report?.type === 'failed') {
        settle();
        reject(new KeeperError('KEEPER_START_FAILED', `${spec.kind} did not start: ${report.message}`));
      }
    };
    child.on('message', onMessage);
    void exited.then((detail) => {
      settle();
      reject(new KeeperError('KEEPER_EXITED', detail));
    });
  });
}

function parseReportOrUndefined(message: unknown) {
  try {
    return parseKeeperReport(message);
  } catch {
    return undefined; // not ours: ignored
  }
}

/**
 * Asks the keeper to stop its server (the `stop` command, or SIGTERM when the channel is gone) and
 * waits for it to exit; after `graceMs` kills its whole process group (keeper and server).
 */
async function terminate(child: ChildProcess, exited: Promise<string>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  if (child.connected) {
    child.send({ type: 'stop' }, (error) => {
      if (error !== null) child.kill('SIGTERM'); // the channel closed meanwhile
    });
  } else child.kill('SIGTERM');
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}
