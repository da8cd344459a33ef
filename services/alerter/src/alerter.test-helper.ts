import { credentials, Metadata } from '@grpc/grpc-js';
import { createClient, type EventInput, type MsiClient } from '@msi/client';
import { type EventKind, encodeImprint, type Imprint, imprintOf, mintUuidV7, parseImprint } from '@msi/core';
import { formatDay, WEEKDAYS, type Weekday, ZoneClock } from '@msi/policy';
import { alerterV1 } from '@msi/proto';

const bearer = (key: string) => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${key}`);
  return m;
};

/** An alerter client for tests: promise-returning calls with an API key. */
export function alerterClient(address: string) {
  const client = new alerterV1.AlerterServiceClient(address, credentials.createInsecure());
  return {
    client,
    list(
      key: string,
      request: Partial<alerterV1.ListAlertsRequest> = {},
    ): Promise<alerterV1.ListAlertsResponse> {
      return new Promise((resolve, reject) =>
        client.listAlerts(
          alerterV1.ListAlertsRequest.fromPartial({ pageSize: 1000, ...request }),
          bearer(key),
          (e, r) => (e !== null || r === undefined ? reject(e) : resolve(r)),
        ),
      );
    },
    acknowledge(key: string, alertId: string, note: string): Promise<alerterV1.AcknowledgeAlertResponse> {
      return new Promise((resolve, reject) =>
        client.acknowledgeAlert({ alertId, note }, bearer(key), (e, r) =>
          e !== null || r === undefined ? reject(e) : resolve(r),
        ),
      );
    },
    policy(key: string): Promise<alerterV1.GetPolicyResponse> {
      return new Promise((resolve, reject) =>
        client.getPolicy({}, bearer(key), (e, r) => (e !== null || r === undefined ? reject(e) : resolve(r))),
      );
    },
    watch(
      key: string,
      request: Partial<alerterV1.WatchAlertsRequest>,
      onAlert: (a: alerterV1.Alert) => void,
    ) {
      const call = client.watchAlerts(alerterV1.WatchAlertsRequest.fromPartial(request), bearer(key));
      call.on('data', (r: alerterV1.WatchAlertsResponse) => {
        if (r.alert !== undefined) onAlert(r.alert);
      });
      call.on('error', () => {});
      return call;
    },
    close: () => client.close(),
  };
}

/** An emitter for tests, through @msi/client (the one client of the repository). */
export function ingestFor(address: string, key: string) {
  const client: MsiClient = createClient({
    ingest: address,
    apiKey: key,
    insecure: true,
    retry: { giveUpAfterMs: 30_000 },
  });
  return {
    /** Resolves once every event is durable; rejects with the client's error (MsiClientError). */
    async submit(events: readonly TestEvent[]): Promise<void> {
      await Promise.all(events.map((event) => client.emit(event)));
    },
    close: () => void client.close().catch(() => {}),
  };
}

/** An event as the tests emit it: its id is always set, so that alerts can be matched to it. */
export type TestEvent = EventInput & { readonly eventId: Uint8Array; readonly data: Imprint };

/** The wire imprint of a named test item (unique per run through `salt`). */
export const item = (salt: string, name: string): Buffer =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(`${salt}/${name}`))));

const endpoint = (spec: string | undefined) => {
  if (spec === undefined) return undefined;
  const [system = '', region = '', host = ''] = spec.split('/');
  return { system, region, host };
};

/** A DataEvent from a compact spec; `at` is occurred_at in ms (default now). */
export function dataEvent(spec: {
  kind: EventKind;
  data: Buffer;
  actor: string;
  source?: string;
  destination?: string;
  inputs?: Buffer[];
  outputs?: Buffer[];
  attrs?: Record<string, string>;
  at?: number;
}): TestEvent {
  const source = endpoint(spec.source);
  const destination = endpoint(spec.destination);
  const inputs = spec.inputs?.map((i) => parseImprint(i));
  const outputs = spec.outputs?.map((o) => parseImprint(o));
  return {
    eventId: mintUuidV7(Date.now(), globalThis.crypto.getRandomValues(new Uint8Array(16))),
    kind: spec.kind,
    data: parseImprint(spec.data),
    ...(inputs === undefined ? {} : { inputs }),
    ...(outputs === undefined ? {} : { outputs }),
    actor: spec.actor,
    ...(source === undefined ? {} : { source }),
    ...(destination === undefined ? {} : { destination }),
    occurredAt: (spec.at ?? Date.now()) * 1000,
    attributes: spec.attrs ?? {},
  };
}

/**
 * The latest instant at least `minAgeMs` before `nowMs` that a wall clock in `zone` shows as one of
 * `weekdays` at `clock` (`HH:MM`), on a local date not in `skipDates` (`YYYY-MM-DD`). Daylight saving
 * is the zone's own. Tests use it so that an event's occurred_at is a Saturday night or a Tuesday
 * morning of this week, whatever today is, within ingest's age limit.
 */
export function recentLocalTime(spec: {
  nowMs: number;
  zone: string;
  weekdays: readonly Weekday[];
  clock: string;
  minAgeMs: number;
  skipDates?: readonly string[];
}): number {
  const zone = new ZoneClock(spec.zone);
  const [hour, minute] = spec.clock.split(':').map(Number);
  const quarter = 15 * 60_000;
  let t = Math.floor((spec.nowMs - spec.minAgeMs) / quarter) * quarter;
  for (let steps = 0; steps < 8 * 96; steps++, t -= quarter) {
    const local = zone.localTime(t);
    const weekday = WEEKDAYS[local.weekday] as Weekday;
    if (
      spec.weekdays.includes(weekday) &&
      local.hour === hour &&
      local.minute === minute &&
      !(spec.skipDates ?? []).includes(formatDay(local.day))
    ) {
      return t;
    }
  }
  throw new Error(
    `no ${spec.weekdays.join('/')} ${spec.clock} in ${spec.zone} in the 8 days before ${spec.nowMs}`,
  );
}
