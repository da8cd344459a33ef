import { type Inputs, useEffect } from 'preact/hooks';
import { messageOf } from './sign-in.js';

/**
 * Runs `read` now and every `intervalMs` while the view is shown (and again when `inputs` change).
 * `read` gets `stopped()`, true once the view is gone, to drop an answer that came too late; a
 * failure goes to `onError` as its message, a success clears it.
 */
export function usePolling(
  read: (stopped: () => boolean) => Promise<void>,
  intervalMs: number,
  onError: (message: string) => void,
  inputs: Inputs,
): void {
  useEffect(() => {
    let stopped = false;
    const once = async () => {
      try {
        await read(() => stopped);
        if (!stopped) onError('');
      } catch (failure: unknown) {
        if (!stopped) onError(messageOf(failure));
      }
    };
    void once();
    const timer = setInterval(once, intervalMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, inputs);
}
