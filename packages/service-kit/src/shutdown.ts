/**
 * Resolves with the first SIGTERM or SIGINT (Ctrl-C). The caller (a service's main.ts) then stops
 * its parts in order and exits; `onRepeat` runs if another signal arrives while it is stopping.
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
  });
}
