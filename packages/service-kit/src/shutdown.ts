/**
 * Resolves with the first SIGTERM or SIGINT (Ctrl-C) — or, for a service started with an IPC channel
 * by a supervisor (the dev stack), when that channel closes because the supervisor died: a service
 * never outlives the stack that started it. The caller (a service's main.ts) then stops its parts in
 * order and exits; `onRepeat` runs if another signal arrives while it is stopping.
 */
export function shutdownSignal(onRepeat: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handle = (signal: NodeJS.Signals) => {
      if (received) onRepeat(signal);
      received = true;
      resolve(signal);
    };
    process.on('SIGTERM', handle);
    process.on('SIGINT', handle);
    if (process.channel !== undefined) {
      process.once('disconnect', () => handle('SIGTERM'));
      // The channel alone must not keep the process alive once the service has stopped.
      process.channel.unref();
    }
  });
}
