import { type KeeperHandle, type KeeperOptions, startKeeper } from './keeper-handle.js';
import type { KeeperSpec } from './keeper-protocol.js';
import { Restarter, type RestartOptions } from './restarter.js';

/** An embedded server kept running by the stack: a new keeper whenever the last one ended unasked. */
export interface SupervisedKeeper {
  readonly url: string;
  readonly port: number;
  /** The current server's process id (it changes with each restart). */
  readonly serverPid: number;
  /** Stops the server; a restart under way is given up first, so none survives the stop. */
  stop(): Promise<void>;
}

/**
 * Starts a keeper for `spec` (startKeeper; a first start that fails rejects), then watches it: when
 * the keeper ends without stop() — its server died, or it was killed itself — whatever is left of
 * its process group (an orphaned server, Postgres backends) is killed and a new keeper is started
 * with the same spec, so on the same port with the same data, after the backoff of `restart`
 * (restarter.ts), which also tells `restart.onEvent`. `name` names it there (`nats`, `postgres`).
 */
export async function startSupervisedKeeper(
  name: string,
  spec: KeeperSpec,
  keeperOptions: Omit<KeeperOptions, 'signal' | 'onUnexpectedExit'>,
  restart: RestartOptions,
): Promise<SupervisedKeeper> {
  let current: KeeperHandle = await startKeeper(spec, keeperOptions);
  const restarter = new Restarter({
    ...restart,
    name,
    async launch(signal) {
      const keeper = await startKeeper(spec, { ...keeperOptions, signal });
      current = keeper;
      watch(keeper);
      return keeper.serverPid;
    },
  });
  const watch = (keeper: KeeperHandle) => {
    void keeper.ended.then((end) => {
      if (end.requested || keeper !== current) return;
      killGroup(keeper.pid);
      // Its server died and it said how; or the keeper itself died (killed), taking the server along.
      if (end.serverDied !== undefined) restarter.exited(undefined, end.serverDied);
      else restarter.exited({ code: end.code, signal: end.signal }, end.stderr);
    });
  };
  restarter.started();
  watch(current);
  return {
    url: current.url,
    port: current.port,
    get serverPid() {
      return current.serverPid;
    },
    async stop() {
      await restarter.halt();
      await current.stop();
    },
  };
}

/** SIGKILLs what is left of a dead keeper's process group (it runs detached: group id = its pid). */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // nothing left
  }
}
