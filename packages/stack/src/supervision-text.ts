import type { ProcessExit } from './restart-policy.js';
import type { SupervisionEvent } from './restarter.js';

/**
 * What the console says about a supervision event, after the process's name: how it ended (a
 * service: its exit code or signal — what it wrote before is on the console just above; a server:
 * its keeper's report), for how long it had run, and when it comes back; for a service left down
 * after exit status 2, its last line, which names the setting. `lineText` renders that line (the
 * console makes a JSON log line readable). Pure.
 */
export function describeSupervisionEvent(
  event: SupervisionEvent,
  lineText: (line: string) => string = (line) => line,
): string {
  switch (event.kind) {
    case 'died': {
      const how = event.exit === undefined ? '' : ` (${exitText(event.exit)})`;
      const reported = event.exit === undefined && event.detail !== undefined;
      const said = reported ? `: ${lineText(oneLine(event.detail ?? ''))}` : '';
      const row = event.failures > 1 ? ` (failure ${event.failures} in a row)` : '';
      return `died${how} after ${durationText(event.ranMs)}${said} — restarting in ${durationText(event.restartInMs)}${row}`;
    }
    case 'restarted':
      return `restarted${event.pid === undefined ? '' : ` (pid ${event.pid})`}`;
    case 'restart-failed':
      return `could not be restarted: ${oneLine(event.error)} — trying again in ${durationText(event.restartInMs)}`;
    case 'left-down': {
      const said = event.detail === undefined ? '' : `: ${lineText(oneLine(event.detail))}`;
      return `exited with status 2 (a bad configuration) and is not restarted — fix the setting and start the stack again${said}`;
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

/** Longer than this, a line is cut (a server's report carries the end of its stderr). */
const MAX_LINE = 300;

/** A text of several lines on one: its first line, and its last when there are more. */
function oneLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const cut = (line: string) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);
  const first = cut(lines[0] ?? '');
  return lines.length > 1 ? `${first} … ${cut(lines.at(-1) ?? '')}` : first;
}
