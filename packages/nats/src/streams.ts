import {
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { streamNamesFor, subjectsFor } from './subjects.js';

/** Durability and retention settings of MSI's streams; see docs/ARCHITECTURE.md for the trade-offs. */
export interface StreamSettings {
  /** JetStream replicas: 1 in dev, 3 in production (a publish is acked once a quorum stored it). */
  readonly replicas: number;
  /** How long event batches are kept for replay (verifier rebuilds, late aggregators); 0 = forever. */
  readonly eventsMaxAgeMs: number;
  /** Window in which a retried publish with the same msgID is stored once. */
  readonly duplicateWindowMs: number;
  /** Use memory storage (tests only: nothing survives a server restart). */
  readonly memory?: boolean;
}

export const defaultStreamSettings: StreamSettings = {
  replicas: 1,
  eventsMaxAgeMs: 7 * 24 * 3600_000,
  duplicateWindowMs: 5 * 60_000,
};

/** The stream configurations for a prefix; pure, so they can be inspected and documented. */
export function streamConfigsFor(prefix: string, settings: StreamSettings): StreamConfig[] {
  const names = streamNamesFor(prefix);
  const subjects = subjectsFor(prefix);
  const base = {
    retention: RetentionPolicy.Limits,
    storage: settings.memory ? StorageType.Memory : StorageType.File,
    num_replicas: settings.replicas,
    duplicate_window: nanos(settings.duplicateWindowMs),
    discard: DiscardPolicy.Old,
    allow_direct: true,
  };
  return [
    { ...base, name: names.events, subjects: [subjects.allEvents], max_age: nanos(settings.eventsMaxAgeMs) },
    // Seals and rounds are tiny and are the record of what was anchored: kept forever.
    { ...base, name: names.seals, subjects: [subjects.allSeals], max_age: 0 },
    { ...base, name: names.rounds, subjects: [subjects.rounds], max_age: 0 },
    { ...base, name: names.security, subjects: [subjects.security], max_age: nanos(30 * 24 * 3600_000) },
    // Integrity failures are rare and are evidence: kept forever.
    { ...base, name: names.integrity, subjects: [subjects.allIntegrity], max_age: 0 },
    // One message per checkpoint size as cosignatures arrive; small, and evidence: kept forever.
    { ...base, name: names.checkpoints, subjects: [subjects.checkpoints], max_age: 0 },
    { ...base, name: names.publications, subjects: [subjects.publications], max_age: 0 },
    { ...base, name: names.alerts, subjects: [subjects.allAlerts], max_age: 0 },
  ] as StreamConfig[];
}

/**
 * Creates MSI's streams, or updates them to the given settings; safe to call from every service.
 * A JetStream API request that times out is asked again (`retry`: 6 attempts, 0.5 s doubling to 4 s
 * apart): in a cluster that is electing its meta leader, or on a busy machine, creating a replicated
 * stream can outlast one request's timeout, and every step here is idempotent.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  prefix: string,
  settings: StreamSettings,
  retry: TimeoutRetry = DEFAULT_TIMEOUT_RETRY,
): Promise<void> {
  for (const config of streamConfigsFor(prefix, settings)) {
    try {
      await retryingTimeouts(() => jsm.streams.add(config), retry);
    } catch (error: unknown) {
      // Another service created it first (possibly at this very moment, in a cluster), or it exists
      // with other settings. Only a stream whose settings differ is updated: with NATS permissions
      // most services may create streams but not change them (deploy/nats/nats.conf).
      if (!(error instanceof JetStreamApiError)) throw error;
      const existing = await retryingTimeouts(() => jsm.streams.info(config.name), retry).catch(
        () => undefined,
      );
      if (existing !== undefined && hasSettings(existing.config, config)) continue;
      await retryingTimeouts(() => jsm.streams.update(config.name, config), retry);
    }
  }
}

/** How often, and how far apart, a timed-out JetStream API request is asked again. */
export interface TimeoutRetry {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_TIMEOUT_RETRY: TimeoutRetry = { attempts: 6, firstDelayMs: 500, maxDelayMs: 4000 };

/** `request()`, asked again while it fails with a timeout (nats.js TimeoutError); other errors at once. */
export async function retryingTimeouts<T>(request: () => Promise<T>, retry: TimeoutRetry): Promise<T> {
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let delayMs = retry.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error: unknown) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      if (!timedOut || attempt >= retry.attempts) throw error;
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, retry.maxDelayMs);
  }
}

/** True when `actual` has every setting `wanted` names, with the same value. */
export function hasSettings(actual: StreamConfig, wanted: StreamConfig): boolean {
  const have = actual as unknown as Record<string, unknown>;
  return Object.entries(wanted).every(([key, value]) => JSON.stringify(have[key]) === JSON.stringify(value));
}

/** Deletes every stream and bucket stream whose name starts with the prefix's stream prefix (tests). */
export async function deleteStreamsWithPrefix(jsm: JetStreamManager, prefix: string): Promise<number> {
  const upper = streamNamesFor(prefix).events.replace(/_EVENTS$/, '_');
  let deleted = 0;
  for await (const name of jsm.streams.names()) {
    if (name.startsWith(upper) || name.startsWith(`KV_${upper}`)) {
      await jsm.streams.delete(name);
      deleted += 1;
    }
  }
  return deleted;
}
