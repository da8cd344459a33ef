import type { EventInput } from '@msi/client';
import type { FileClass } from './agent-config.js';
import type { FileState } from './file-state.js';

/** How a path's state came to be reported. */
export type Change = 'baseline' | 'rescan' | 'created' | 'modified' | 'metadata' | 'deleted';

/**
 * One event of the agent, as it is spooled and indexed (plain JSON). A change is emitted on its own
 * (STATE, or DELETE when the file is gone); baseline and rescan states are aggregated.
 */
export interface AgentEvent {
  /** The event id, UUIDv7 text: minted once, kept through every retry and restart. */
  readonly id: string;
  readonly kind: 'STATE' | 'DELETE';
  /** The content's imprint text (the last content, for a DELETE). */
  readonly data: string;
  readonly actor: string;
  readonly host: string;
  readonly occurredAtUs: number;
  /** The path's previous event, when there is one: each path's events form a chain. */
  readonly parents: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
}

/** What an event says about a path. */
export interface FileReport {
  readonly path: string;
  readonly fileClass: FileClass;
  readonly change: Change;
  /** The state now (for a deletion: the last state known). */
  readonly state: FileState;
  /** The previous content's imprint text, when it differs. */
  readonly previousHash?: string;
}

/** The agent's event for a report (pure: the id, time and previous event come in). */
export function fileEvent(
  report: FileReport,
  o: { id: string; actor: string; host: string; occurredAtUs: number; previousId: string | undefined },
): AgentEvent {
  return {
    id: o.id,
    kind: report.change === 'deleted' ? 'DELETE' : 'STATE',
    data: report.state.hash,
    actor: o.actor,
    host: o.host,
    occurredAtUs: o.occurredAtUs,
    parents: o.previousId === undefined ? [] : [o.previousId],
    attributes: fileAttributes(report),
  };
}

/** The attributes `file.*` of a report (docs: packages/agent/README.md, "Events"). */
export function fileAttributes(report: FileReport): Record<string, string> {
  const { state } = report;
  const attributes: Record<string, string> = {
    'file.path': report.path,
    'file.change': report.change,
    'file.class': report.fileClass,
    'file.size': String(state.size),
    'file.mode': state.mode,
    'file.uid': String(state.uid),
    'file.gid': String(state.gid),
    'file.mtime': String(state.mtimeMs),
  };
  if (state.link !== undefined) attributes['file.link'] = state.link;
  if (report.previousHash !== undefined) attributes['file.previous'] = report.previousHash;
  return attributes;
}

/** The event as the client emits it. */
export function toEventInput(event: AgentEvent): EventInput {
  return {
    kind: event.kind,
    eventId: event.id,
    data: event.data,
    actor: event.actor,
    source: { system: 'file', host: event.host },
    occurredAt: event.occurredAtUs,
    parents: event.parents,
    attributes: event.attributes,
  };
}
