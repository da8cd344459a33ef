import { join } from 'node:path';
import type { FileClass } from './agent-config.js';
import type { AgentEvent, Change } from './agent-event.js';
import type { FileState } from './file-state.js';
import { RecordLog, readRecords } from './record-log.js';

/** One event of the agent about a path, as the local index keeps it. */
export interface IndexEntry {
  readonly path: string;
  readonly id: string;
  readonly atUs: number;
  readonly kind: AgentEvent['kind'];
  readonly change: Change;
  readonly fileClass: FileClass;
  /** The state reported (for a DELETE: the last state known). */
  readonly state: FileState;
  /** Where an aggregated event is: its local tree (in the receipt store) and its leaf index. */
  readonly tree?: { readonly id: string; readonly index: number };
}

const FILE = 'index.log';

/**
 * The agent's local index (`index.log` in the state directory): every event it emitted, per path,
 * appended durably before the event is sent. It answers "what did the agent last report for this
 * path" (drift) and, read whole, "what did it report at time t" (msi state).
 */
export class StateIndex {
  readonly #log: RecordLog;
  readonly #last = new Map<string, IndexEntry>();

  private constructor(log: RecordLog) {
    this.#log = log;
  }

  static async open(dir: string): Promise<StateIndex> {
    const { log, records } = await RecordLog.open(join(dir, FILE));
    const index = new StateIndex(log);
    for (const entry of records as IndexEntry[]) index.#last.set(entry.path, entry);
    return index;
  }

  /** The last event about `path`, if any. */
  last(path: string): IndexEntry | undefined {
    return this.#last.get(path);
  }

  /** Every path whose last event says the file exists. */
  present(): IndexEntry[] {
    return [...this.#last.values()].filter((e) => e.kind === 'STATE');
  }

  get empty(): boolean {
    return this.#last.size === 0;
  }

  async append(entries: readonly IndexEntry[]): Promise<void> {
    await this.#log.append(entries);
    for (const e of entries) this.#last.set(e.path, e);
  }

  close(): Promise<void> {
    return this.#log.close();
  }
}

/** Every entry of the index in `dir` about `path`, oldest first (read only). */
export async function readIndexOf(dir: string, path: string): Promise<IndexEntry[]> {
  const { records } = await readRecords(join(dir, FILE));
  return (records as IndexEntry[]).filter((e) => e.path === path).sort((a, b) => a.atUs - b.atUs);
}
