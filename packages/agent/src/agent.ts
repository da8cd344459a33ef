import { dirname, sep } from 'node:path';
import { formatImprint, hashBytes, type MsiClient, MsiClientError } from '@msi/client';
import { formatUuid, mintUuidV7 } from '@msi/core';
import type { Logger } from '@msi/service-kit';
import type { AgentConfig } from './agent-config.js';
import { type AgentEvent, type FileReport, fileEvent, toEventInput } from './agent-event.js';
import { DirectoryWatcher } from './directory-watcher.js';
import { decideReport } from './drift.js';
import { type FileState, readFileState, type Unreadable } from './file-state.js';
import { scanTree, selectingSpec } from './scan.js';
import type { Spool } from './spool.js';
import type { IndexEntry, StateIndex } from './state-index.js';

export interface AgentParts {
  readonly config: AgentConfig;
  /** The host reported in every event. */
  readonly host: string;
  readonly client: MsiClient;
  readonly spool: Spool;
  readonly index: StateIndex;
  readonly log: Logger;
  readonly nowMs: () => number;
  readonly randomFill?: (bytes: Uint8Array) => void;
  /** How long a change waits for more notifications before it is read (default 25 ms). */
  readonly settleMs?: number;
  /** How long a send that failed waits before it is tried again (default 5 s). */
  readonly resendMs?: number;
}

/** What a pass over the watched set reported. */
export interface PassSummary {
  readonly changes: number;
  readonly aggregated: number;
  /** Changes the full spool did not take (a later rescan finds them again). */
  readonly refused: number;
}

type Mode = 'baseline' | 'rescan' | 'watch';

/** Files read and hashed at once during a pass. */
const OBSERVE_CONCURRENCY = 16;

/**
 * The agent: watches the configured files (one inotify watch per directory, plus a rescan every
 * `rescan_interval`), and reports their states. Each change is an individual STATE or DELETE event,
 * spooled durably before it is sent and chained to the path's previous event; a baseline and each
 * rescan report the unchanged states in aggregate (the heartbeat). Every event is in the local
 * index. Work runs one pass at a time.
 */
export class Agent {
  readonly #p: AgentParts;
  readonly #watcher: DirectoryWatcher;
  readonly #dirty = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #settleTimer: NodeJS.Timeout | undefined;
  #rescanTimer: NodeJS.Timeout | undefined;
  readonly #sends = new Set<Promise<void>>();
  readonly #resendTimers = new Set<NodeJS.Timeout>();
  #spoolFullSince: number | undefined;
  #stopped = false;

  constructor(parts: AgentParts) {
    this.#p = parts;
    this.#watcher = new DirectoryWatcher(
      (path) => this.#touched(path),
      (dir, error) => parts.log.debug('a directory watch ended', { dir, error: String(error) }),
    );
  }

  /** Directories watched. */
  get watches(): number {
    return this.#watcher.size;
  }

  /**
   * Sends what the spool holds (same ids), then a baseline when the index is empty, else a rescan
   * (which finds what changed while the agent was stopped); then watches, rescanning periodically.
   */
  async start(): Promise<PassSummary> {
    const pending = this.#p.spool.outstanding;
    if (pending.length > 0) this.#p.log.info('sending spooled events again', { events: pending.length });
    for (const event of pending) this.#send(event);
    await this.#p.client.resumeTrees();
    const summary = await this.#enqueue(() => this.#pass(this.#p.index.empty ? 'baseline' : 'rescan'));
    this.#scheduleRescan();
    return summary;
  }

  /** Reports the full state of the watched set in aggregate (changes since the last event individually). */
  baseline(): Promise<PassSummary> {
    return this.#enqueue(() => this.#pass('baseline'));
  }

  /** A full rescan: changes individually, the unchanged state in aggregate. */
  rescan(): Promise<PassSummary> {
    return this.#enqueue(() => this.#pass('rescan'));
  }

  /** Resolves once every notification so far is handled and every event emitted is durable. */
  async settled(): Promise<void> {
    while (this.#settleTimer !== undefined || this.#dirty.size > 0) {
      await new Promise((r) => setTimeout(r, 5));
      await this.#queue;
    }
    await this.#queue;
    while (this.#sends.size > 0) await Promise.all([...this.#sends]);
    await this.#p.client.flush();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#settleTimer);
    clearTimeout(this.#rescanTimer);
    for (const t of this.#resendTimers) clearTimeout(t);
    this.#watcher.close();
    await this.#queue;
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch((error: unknown) =>
      this.#p.log.error('agent pass failed', { error: String(error) }),
    );
    return run;
  }

  #scheduleRescan(): void {
    if (this.#stopped) return;
    this.#rescanTimer = setTimeout(() => {
      this.rescan()
        .catch(() => {})
        .finally(() => this.#scheduleRescan());
    }, this.#p.config.rescanIntervalMs);
    this.#rescanTimer.unref();
  }

  #touched(path: string): void {
    if (this.#stopped) return;
    this.#dirty.add(path);
    if (this.#settleTimer !== undefined) return;
    this.#settleTimer = setTimeout(() => {
      this.#settleTimer = undefined;
      const paths = [...this.#dirty];
      this.#dirty.clear();
      void this.#enqueue(() => this.#examine(paths));
    }, this.#p.settleMs ?? 25);
  }

  /** A full pass over the watched set. */
  async #pass(mode: Mode): Promise<PassSummary> {
    const { config, index, log } = this.#p;
    const scan = await scanTree(config);
    if (scan.overLimit > 0) log.warn('limits.max_files reached: files left out', { left: scan.overLimit });
    for (const dir of scan.directories) this.#watcher.add(dir);
    for (const spec of config.watch)
      if (!scan.directories.includes(spec.path)) this.#watcher.add(dirname(spec.path));
    const reports: FileReport[] = [];
    const observed = await this.#observeAll([...scan.files.keys()]);
    for (const [path, fileClass] of scan.files) {
      const last = index.last(path);
      const report = decideReport(path, fileClass, last, observed.get(path) ?? 'too-large', mode !== 'watch');
      if (report !== undefined) reports.push(mode === 'baseline' ? asBaseline(report, last) : report);
    }
    for (const gone of index.present()) {
      if (scan.files.has(gone.path)) continue;
      const report = decideReport(gone.path, gone.fileClass, gone, 'absent', false);
      if (report !== undefined) reports.push(report);
    }
    const summary = await this.#report(reports);
    log.info(`${mode} done`, { files: scan.files.size, ...summary });
    return summary;
  }

  /** The paths notifications named (a file, or a directory: everything known or found under it). */
  async #examine(paths: readonly string[]): Promise<PassSummary> {
    const { config, index } = this.#p;
    const candidates = new Map<string, FileReport['fileClass']>();
    for (const path of paths) {
      const sub = await scanTree(config, path);
      for (const dir of sub.directories) this.#watcher.add(dir);
      for (const [file, fileClass] of sub.files) candidates.set(file, fileClass);
      const spec = selectingSpec(config, path);
      if (spec !== undefined && !sub.directories.includes(path)) candidates.set(path, spec.fileClass);
      for (const known of index.present()) {
        if (known.path === path || known.path.startsWith(`${path}${sep}`))
          candidates.set(known.path, known.fileClass);
      }
    }
    const reports: FileReport[] = [];
    const observed = await this.#observeAll([...candidates.keys()]);
    for (const [path, fileClass] of candidates) {
      const report = decideReport(
        path,
        fileClass,
        index.last(path),
        observed.get(path) ?? 'too-large',
        false,
      );
      if (report !== undefined) reports.push(report);
    }
    return this.#report(reports);
  }

  /** The states of `paths`, read OBSERVE_CONCURRENCY at a time (file reads overlap; memory stays bounded). */
  async #observeAll(paths: readonly string[]): Promise<Map<string, FileState | Unreadable>> {
    const states = new Map<string, FileState | Unreadable>();
    let next = 0;
    const worker = async () => {
      while (next < paths.length) {
        const path = paths[next++] as string;
        states.set(path, await this.#observe(path));
      }
    };
    await Promise.all(Array.from({ length: Math.min(OBSERVE_CONCURRENCY, paths.length) }, worker));
    return states;
  }

  async #observe(path: string): Promise<FileState | Unreadable> {
    try {
      return await readFileState(path, this.#p.config.limits.maxFileBytes);
    } catch (error: unknown) {
      this.#p.log.warn('cannot read a watched file', { path, error: String(error) });
      return 'too-large' as const; // not reported: neither a state nor a deletion
    }
  }

  async #report(reports: readonly FileReport[]): Promise<PassSummary> {
    const individual = reports.filter((r) => r.change !== 'baseline' && r.change !== 'rescan');
    const aggregated = reports.filter((r) => r.change === 'baseline' || r.change === 'rescan');
    const refused = await this.#reportChanges(individual);
    await this.#reportAggregated(aggregated);
    return { changes: individual.length - refused, aggregated: aggregated.length, refused };
  }

  /** Spools, indexes and sends changes; returns how many the full spool refused. */
  async #reportChanges(reports: readonly FileReport[]): Promise<number> {
    if (reports.length === 0) return 0;
    const { spool, index, log } = this.#p;
    const events = reports.map((r) => this.#eventOf(r));
    if (!(await spool.append(events))) {
      if (this.#spoolFullSince === undefined) {
        this.#spoolFullSince = this.#p.nowMs();
        log.error('the spool is full: changes are not taken until ingest has the spooled events', {
          spoolBytes: spool.bytes,
          refused: reports.length,
        });
      }
      return reports.length;
    }
    await index.append(reports.map((r, i) => entryOf(r, events[i] as AgentEvent)));
    for (const event of events) this.#send(event);
    return 0;
  }

  async #reportAggregated(reports: readonly FileReport[]): Promise<void> {
    const entries: IndexEntry[] = [];
    for (const report of reports) {
      const event = this.#eventOf(report);
      const ticket = await this.#p.client.emit(toEventInput(event), { mode: 'aggregated' });
      if (ticket.mode !== 'aggregated') throw new Error('an aggregated emit came back individual');
      entries.push({ ...entryOf(report, event), tree: { id: ticket.treeId, index: ticket.index } });
    }
    await this.#p.index.append(entries);
  }

  #eventOf(report: FileReport): AgentEvent {
    const nowMs = this.#p.nowMs();
    const random = new Uint8Array(16);
    (this.#p.randomFill ?? ((b: Uint8Array) => crypto.getRandomValues(b)))(random);
    return fileEvent(report, {
      id: formatUuid(mintUuidV7(nowMs, random)),
      actor: this.#p.config.actor,
      host: this.#p.host,
      occurredAtUs: nowMs * 1000,
      previousId: this.#p.index.last(report.path)?.id,
    });
  }

  /** Sends a spooled event until ingest has it durably, then acknowledges it in the spool. */
  #send(event: AgentEvent): void {
    const sending = this.#p.client
      .emit(toEventInput(event))
      .then(() => this.#p.spool.ack([event.id]))
      .then(() => this.#afterAck())
      .catch((error: unknown) => {
        if (error instanceof MsiClientError && error.code === 'INVALID_EVENT') {
          this.#p.log.error('ingest refused an event: dropped', { eventId: event.id, error: error.message });
          return this.#p.spool.ack([event.id]);
        }
        if (this.#stopped) return undefined;
        this.#p.log.warn('an event is not durable yet: sending it again later', {
          eventId: event.id,
          error: String(error),
        });
        const timer = setTimeout(() => {
          this.#resendTimers.delete(timer);
          this.#send(event);
        }, this.#p.resendMs ?? 5000);
        this.#resendTimers.add(timer);
        return undefined;
      })
      .finally(() => this.#sends.delete(sending));
    this.#sends.add(sending);
  }

  /** Once a full spool has room again: raises the spool-full alert event and rescans. */
  #afterAck(): void {
    const since = this.#spoolFullSince;
    if (since === undefined || this.#p.spool.full) return;
    this.#spoolFullSince = undefined;
    const nowMs = this.#p.nowMs();
    const random = new Uint8Array(16);
    (this.#p.randomFill ?? ((b: Uint8Array) => crypto.getRandomValues(b)))(random);
    const alert: AgentEvent = {
      id: formatUuid(mintUuidV7(nowMs, random)),
      kind: 'STATE',
      data: formatImprint(hashBytes(`msi-agent spool full on ${this.#p.host} since ${since}`)),
      actor: this.#p.config.actor,
      host: this.#p.host,
      occurredAtUs: nowMs * 1000,
      parents: [],
      attributes: { 'agent.alert': 'spool-full', 'agent.spool_full_since_ms': String(since) },
    };
    this.#p.log.warn('the spool has room again: raising the spool-full alert and rescanning');
    void this.#p.spool.append([alert]).then((taken) => (taken ? this.#send(alert) : undefined));
    void this.rescan();
  }
}

/** In a baseline, a state never reported before or unchanged is baselined (aggregated); a change stays one. */
function asBaseline(report: FileReport, last: IndexEntry | undefined): FileReport {
  const fresh = report.change === 'created' && last === undefined;
  return fresh || report.change === 'rescan' ? { ...report, change: 'baseline' } : report;
}

function entryOf(report: FileReport, event: AgentEvent): IndexEntry {
  return {
    path: report.path,
    id: event.id,
    atUs: event.occurredAtUs,
    kind: event.kind,
    change: report.change,
    fileClass: report.fileClass,
    state: report.state,
  };
}
