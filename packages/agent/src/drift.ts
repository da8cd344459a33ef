import type { FileClass } from './agent-config.js';
import type { FileReport } from './agent-event.js';
import { type FileState, sameState, type Unreadable } from './file-state.js';
import type { IndexEntry } from './state-index.js';

/**
 * What a path's observed state means against the last event about it (pure): a change to report on
 * its own (created, modified, metadata, deleted), an unchanged state (`rescan`, only when asked for:
 * the heartbeat), or nothing. A file over the size limit is never reported.
 */
export function decideReport(
  path: string,
  fileClass: FileClass,
  last: IndexEntry | undefined,
  observed: FileState | Unreadable,
  heartbeat: boolean,
): FileReport | undefined {
  if (observed === 'too-large') return undefined;
  const existed = last !== undefined && last.kind === 'STATE';
  if (observed === 'absent' || observed === 'not-a-file') {
    return existed ? { path, fileClass, change: 'deleted', state: last.state } : undefined;
  }
  if (!existed) return { path, fileClass, change: 'created', state: observed };
  if (last.state.hash !== observed.hash) {
    return { path, fileClass, change: 'modified', state: observed, previousHash: last.state.hash };
  }
  if (!sameState(last.state, observed)) return { path, fileClass, change: 'metadata', state: observed };
  return heartbeat ? { path, fileClass, change: 'rescan', state: observed } : undefined;
}
