import type { ProcessExit } from './restart-policy.js';
import type { SupervisionEvent } from './restarter.js';

/**
 * What the console says about a supervision event, after the process's name: how it ended, for how
 * long it had run, what it said last (unless a signal ended it: then its last line is only what it
 * happened to be doing) and when it comes back. `lineText` renders that last line (the console
 * makes a JSON log line readable). Pure.
 */
export function describeSupervisionEvent(
  event: SupervisionEvent,
  lineText: (line: string) => string = (line) => line,
): string {
  switch (event.kind) {
    case 'died': {
      const said =
        event.exit.signal === null && event.detail !== undefined ? `: ${lineText(event.detail)}` : '';
      const row = event.failures > 1 ? ` (failure ${event.failures} in a row)` : '';
      return `died (${exitText(event.exit)}) after ${durationText(event.ranMs)}${said} — restarting in ${durationText(event.restartInMs)}${row}`;
    }
    case 'restarted':
      return `restarted${event.pid === undefined ? '' : ` (pid ${event.pid})`}`;
    case 'restart-failed':
      return `could not be restarted: ${event.error} — trying again in ${durationText(event.restartInMs)}`;
    case 'left-down': {
      const said = event.detail === undefined ? '' : `: ${lineText(event.detail)}`;
      return `exited with status 2, a bad configuration${said} — not restarted: fix the setting and start the stack again`;
    }
    default: {
      const unknown: never = event;
      return `unknown supervision event ${JSON.stringify(unknown)}`;
    }
  }
}

/** `exit code 1`, `signal SIGKILL`. */
export function exitText(exit: ProcessExit): string {
  return exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
}

/** `250 ms`, `4.2 s`, `12 min 5 s`. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toString()} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
}
