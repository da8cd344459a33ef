import { join } from 'node:path';
import type { AgentEvent } from './agent-event.js';
import { RecordLog } from './record-log.js';

type SpoolRecord = { readonly t: 'e'; readonly e: AgentEvent } | { readonly t: 'a'; readonly id: string };

/**
 * The agent's durable spool of individual events not yet durable at ingest: an append-only record
 * log (`spool.log` in the state directory). An event is appended (fsynced) before it is sent; an
 * acknowledgement is appended once ingest made it durable. After a restart, the events without an
 * acknowledgement are sent again with the same ids (ingest deduplicates them). The log is emptied
 * once nothing is outstanding. Bounded: at `maxBytes` the spool is full and takes no new events
 * until what it holds is acknowledged.
 */
export class Spool {
  readonly #log: RecordLog;
  readonly #maxBytes: number;
  readonly #outstanding = new Map<string, AgentEvent>();

  private constructor(log: RecordLog, maxBytes: number) {
    this.#log = log;
    this.#maxBytes = maxBytes;
  }

  /** Opens the spool of `dir`; `cut` is how many bytes of a damaged last record were dropped. */
  static async open(dir: string, maxBytes: number): Promise<{ spool: Spool; cut: number }> {
    const { log, records, cut } = await RecordLog.open(join(dir, 'spool.log'));
    const spool = new Spool(log, maxBytes);
    for (const record of records as SpoolRecord[]) {
      if (record.t === 'e') spool.#outstanding.set(record.e.id, record.e);
      else spool.#outstanding.delete(record.id);
    }
    return { spool, cut };
  }

  /** The events not acknowledged yet, in the order they were appended. */
  get outstanding(): AgentEvent[] {
    return [...this.#outstanding.values()];
  }

  get bytes(): number {
    return this.#log.bytes;
  }

  /** Whether the spool is at its bound (it then refuses new events). */
  get full(): boolean {
    return this.#log.bytes >= this.#maxBytes;
  }

  /** Appends events durably; false (nothing appended) when the spool is full. */
  async append(events: readonly AgentEvent[]): Promise<boolean> {
    if (this.full) return false;
    // outstanding before the write: an ack meanwhile must not empty the log under these records
    for (const e of events) this.#outstanding.set(e.id, e);
    try {
      await this.#log.append(events.map((e): SpoolRecord => ({ t: 'e', e })));
    } catch (error: unknown) {
      for (const e of events) this.#outstanding.delete(e.id);
      throw error;
    }
    return true;
  }

  /** Records that ingest made these events durable; empties the log when nothing is left. */
  async ack(ids: readonly string[]): Promise<void> {
    const known = ids.filter((id) => this.#outstanding.delete(id));
    if (known.length === 0) return;
    if (this.#outstanding.size === 0) await this.#log.clear();
    else await this.#log.append(known.map((id): SpoolRecord => ({ t: 'a', id })));
  }

  close(): Promise<void> {
    return this.#log.close();
  }
}
