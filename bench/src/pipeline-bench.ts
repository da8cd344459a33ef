// The pipeline benchmark: `pnpm bench:pipeline [--seconds N] [--steady N] [--steady-only] [--quick]
// [--cpu-prof DIR] [--trace RATIO] [--shards N] [--aggregators N]`. --steady: length of the steady
// window in which sealed leaves and CPU per event are counted (60 s; 10 with --quick); --steady-only:
// skip the curve, half-load and stream phases (--stream-only: only the stream phase); --cpu-prof: write ingest's V8 CPU profile (node
// --cpu-prof) into DIR/ingest when it stops (--cpu-prof-services a,b: those services' instead); --trace: the services export traces (OTLP/HTTP,
// parentbased_traceidratio with this ratio) to a sink in this process that counts and drops them, to
// measure tracing's overhead against a run without; --shards / --aggregators: the shard count
// (MSI_SHARDS, 4) and aggregator processes (2) — e.g. 4 then 64 shards with 4 aggregators each to see
// what many shards cost (issue 15's target): the steady window also prints events per EventBatch and
// leaves per seal, which shrink as shards multiply; --ingests N: run N ingest processes (replicas on
// one claims stream, as an operator runs one per core) and spread the clients over them (1);
// --consumers: also run the verifier and the alerter (shipped policy) and print, for the steady
// window, how far each lags behind the calendar (rounds) and behind the events stream (messages);
// the window then opens once both are within 2 rounds after the warm-up (30 s more at most);
// --rate N: the steady window's load is N events/s instead of unthrottled (to find the rate the
// consumers keep up with); --drain N (with --consumers): then N s of that load with the verifier and
// the alerter paused, and each resumed alone and timed while it applies the backlog (its maximum
// sustained rate: events/s, its CPU and Postgres's); --storm (with --consumers): the datasets are not STOREd first, so every
// ACCESS of the load is an unknown-provenance violation for the alerter (a storm of custody alerts);
// --datasets N: the load's events name N distinct data imprints (4,096), e.g. 16 for hot datasets
// that every event names (each imprint then named by thousands of rows of the verifier's events);
// --claim-memory-ms N: ingest's MSI_INGEST_CLAIM_MEMORY_MS (ids older than N ms go to disk; 10 s);
// --ingest-env NAME=VALUE (repeatable): an MSI_INGEST_* setting for every ingest process, e.g.
// MSI_INGEST_LINGER_MS=8, to measure a setting an operator would change; --node-arg SERVICE:FLAG
// (repeatable): a Node.js/V8 flag for every process of that service, after the stack's own, e.g.
// --node-arg ingest:--heap-growing-percent=50 or --node-arg verifier:--trace-gc-nvp.
// Starts the real pipeline (calendar, aggregators, ingest as processes) against NATS and Postgres
// (NATS_URL / DATABASE_URL, else embedded servers), drives ingest over gRPC with concurrent clients
// via SubmitBatch and SubmitStream, and prints events/s ingested and anchored, durable-ack latency
// (at half load also the part of it spent inside ingest, from each ingest's own histogram),
// ingest→anchored latency, RSS per service, and raw JetStream publish at the same batch size; then
// issue 14's targets with this run's figure and ratio for each, and the durability they were measured
// at (printed at the start too).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  decodeEvent,
  decodeSeal,
  encodeImprint,
  formatUuid,
  imprintOf,
  mintUuidV7,
  writeUuidV7,
} from '@msi/core';
import { connectNats, ensureStreams, readSubject, streamNamesFor, subjectsFor } from '@msi/nats';
import { createPool, type Pool } from '@msi/postgres';
import { eventV1, ingestV1, streamV1 } from '@msi/proto';
import { type Pipeline, startPipeline } from '@msi/stack';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  freePort,
  repositoryRoot,
  startTestServers,
  uniquePrefix,
} from '@msi/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { formatRate, formatRatio, runSection, type Section } from './harness.js';
import { startOtlpSink } from './otlp-sink.js';
import { cpuSnapshot, processCpuUs } from './process-cpu.js';
import * as histogram from './prometheus-histogram.js';

const quick = process.argv.includes('--quick');
const secondsArg = process.argv.indexOf('--seconds');
const PHASE_SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : quick ? 5 : 10;
const steadyArg = process.argv.indexOf('--steady');
const STEADY_SECONDS = steadyArg > 0 ? Number(process.argv[steadyArg + 1]) : quick ? 10 : 60;
const STEADY_ONLY = process.argv.includes('--steady-only');
/** --stream-only: only the SubmitStream phase (and raw publish, memory): to measure the stream path. */
const STREAM_ONLY = process.argv.includes('--stream-only');
const cpuProfArg = process.argv.indexOf('--cpu-prof');
const CPU_PROF_DIR = cpuProfArg > 0 ? process.argv[cpuProfArg + 1] : undefined;
const claimMemoryArg = process.argv.indexOf('--claim-memory-ms');
/** Ingest's claim index memory horizon, when given (MSI_INGEST_CLAIM_MEMORY_MS). */
const CLAIM_MEMORY_MS = claimMemoryArg > 0 ? process.argv[claimMemoryArg + 1] : undefined;
/**
 * --ingest-env NAME=VALUE, each: ingest settings for this run (MSI_INGEST_*), or its allocator's:
 * glibc's MALLOC_*, or LD_PRELOAD of another malloc (e.g. jemalloc) with its MALLOC_CONF.
 */
const INGEST_ENV: Record<string, string> = Object.fromEntries(
  process.argv.flatMap((arg, at) => {
    if (arg !== '--ingest-env') return [];
    const setting = process.argv[at + 1] ?? '';
    const equals = setting.indexOf('=');
    if (!/^(MSI_INGEST_|MALLOC_|LD_PRELOAD=)/.test(setting) || equals < 0)
      throw new Error(
        `--ingest-env takes MSI_INGEST_<NAME>=<value>, MALLOC_<NAME>=<value> or LD_PRELOAD=<library>, not '${setting}'`,
      );
    return [[setting.slice(0, equals), setting.slice(equals + 1)]];
  }),
);
/** --node-arg SERVICE:FLAG, each: Node.js/V8 flags by service (ingest, verifier, alerter, …). */
const NODE_ARGS: Record<string, string[]> = {};
process.argv.forEach((arg, at) => {
  if (arg !== '--node-arg') return;
  const value = process.argv[at + 1] ?? '';
  const colon = value.indexOf(':');
  const [service, flag] = [value.slice(0, colon), value.slice(colon + 1)];
  if (colon < 1 || !flag.startsWith('--'))
    throw new Error(`--node-arg takes SERVICE:FLAG, e.g. ingest:--max-semi-space-size=16, not '${value}'`);
  NODE_ARGS[service] = [...(NODE_ARGS[service] ?? []), flag];
});
const cpuProfServicesArg = process.argv.indexOf('--cpu-prof-services');
/** The services --cpu-prof profiles (--cpu-prof-services a,b; ingest by default), each into DIR/<service>. */
const CPU_PROF_SERVICES = (cpuProfServicesArg > 0 ? (process.argv[cpuProfServicesArg + 1] ?? '') : 'ingest')
  .split(',')
  .filter((name) => name !== '');
/** Load runs this long before the steady window opens (batches and rounds in their stride). */
const STEADY_WARMUP_SECONDS = 5;
const countArg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a positive integer`);
  return value;
};
const INGESTS = countArg('--ingests', 1);
const CONSUMERS = process.argv.includes('--consumers');
/** With --consumers: do not STORE the datasets first, so that every ACCESS is a custody violation. */
const STORM = process.argv.includes('--storm');
const STEADY_RATE = process.argv.includes('--rate') ? countArg('--rate', 1) : undefined;
/**
 * --drain N (with --consumers): after the steady window, N s more of its load with the verifier and
 * the alerter paused (SIGSTOP), then, the load stopped, each is resumed alone and timed until it has
 * applied the backlog: the most events/s it applies on this machine (its maximum sustained rate).
 */
const DRAIN_SECONDS = process.argv.includes('--drain') ? countArg('--drain', 1) : undefined;
/** Four SubmitBatch loops per ingest process: each keeps one 1,000-event request in flight. */
const STEADY_CLIENTS = 4 * INGESTS;
const traceArg = process.argv.indexOf('--trace');
const TRACE_RATIO = traceArg > 0 ? Number(process.argv[traceArg + 1]) : undefined;
if (TRACE_RATIO !== undefined && !(TRACE_RATIO >= 0 && TRACE_RATIO <= 1))
  throw new Error('--trace takes a ratio in [0, 1]');
const BATCH = 1000;
const SHARDS = countArg('--shards', 4);
const AGGREGATORS = countArg('--aggregators', 2);
const ROUND_MS = 1000;
const API_KEY = 'bench-key';
const SAMPLE_EVERY = 97;

interface Sample {
  readonly id: string;
  readonly submittedAt: number;
  readonly ackedAt: number;
}

const samples: Sample[] = [];

/** Node.js flags per process or service: --node-arg's by service, --cpu-prof's for the profiled. */
function nodeArgsOf(): Record<string, string[]> {
  const args: Record<string, string[]> = { ...NODE_ARGS };
  for (const name of CPU_PROF_DIR === undefined ? [] : CPU_PROF_SERVICES) {
    const service = name.replace(/-\d+$/, '');
    args[name] = [...(NODE_ARGS[service] ?? []), '--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}/${name}`];
  }
  return args;
}

function makeEvent(i: number): eventV1.DataEvent {
  return eventV1.DataEvent.fromPartial({
    eventId: Buffer.from(mintUuidV7(Date.now(), randomBytes(16))),
    kind: eventV1.EventKind.EVENT_KIND_ACCESS,
    data: DATA[i % DATA.length] ?? Buffer.alloc(0),
    actor: 'analyst-7',
    source: { system: 'warehouse', region: 'eu-west-1', host: 'wh-3' },
    occurredAtUs: BigInt(Date.now() * 1000),
    attributes: [
      { key: 'classification', value: 'pii' },
      { key: 'purpose', value: 'reporting' },
    ],
  });
}
/** How many distinct data imprints the load names (--datasets). */
const DATASETS = countArg('--datasets', 4096);
const DATA = Array.from({ length: DATASETS }, (_, i) =>
  Buffer.from(encodeImprint(imprintOf('sha256', new TextEncoder().encode(`dataset-${i}`)))),
);

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const metadata = () => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${API_KEY}`);
  return m;
};

const SUBMIT_BATCH = '/msi.ingest.v1.IngestService/SubmitBatch';

/**
 * SubmitBatch requests of BATCH events with fresh ids, cheaply: TEMPLATES requests are encoded once
 * (before any phase is timed: in production clients run on other machines, so building requests is
 * not charged to the two cores that run the whole system here), and each request handed out is a
 * copy of one of them with its BATCH event ids overwritten by fresh UUIDv7s (the ids' offsets are
 * found once). Every event is unique; the load generator's CPU per event is printed.
 */
class RequestSource {
  readonly #templates: { bytes: Buffer; idOffsets: number[] }[];
  #next = 0;

  constructor(templates: number) {
    this.#templates = Array.from({ length: templates }, (_, t) => {
      const events = Array.from({ length: BATCH }, (_, i) => makeEvent(t * BATCH + i));
      const bytes = Buffer.from(ingestV1.SubmitBatchRequest.encode({ events }).finish());
      let from = 0;
      const idOffsets = events.map((event) => {
        const at = bytes.indexOf(event.eventId, from);
        if (at < 0) throw new Error('event id not found in its encoded request');
        from = at + event.eventId.length;
        return at;
      });
      return { bytes, idOffsets };
    });
  }

  /** A request of BATCH events never handed out before. */
  next(): Buffer {
    const template = this.#templates[this.#next++ % this.#templates.length];
    if (template === undefined) throw new Error('no request templates');
    const request = Buffer.from(template.bytes);
    const random = randomBytes(16 * BATCH);
    const nowMs = Date.now();
    template.idOffsets.forEach((at, i) => {
      writeUuidV7(request, at, nowMs, random, 16 * i);
    });
    return request;
  }
}

const requests = new RequestSource(16);

/**
 * SubmitStream request messages of one event each, cheaply, as RequestSource does for SubmitBatch:
 * TEMPLATES events are encoded once as the request's `events` field, and each message is its
 * `sequence` field followed by a copy of one of them with a fresh UUIDv7 written in.
 */
class StreamMessageSource {
  readonly #templates: { field: Buffer; idOffset: number }[];
  #next = 0;
  #random = Buffer.alloc(0);
  #randomAt = 0;

  constructor(templates: number) {
    this.#templates = Array.from({ length: templates }, (_, t) => {
      const event = makeEvent(t);
      const field = Buffer.from(
        ingestV1.SubmitStreamRequest.encode({ sequence: 0n, events: [event] }).finish(),
      );
      const idOffset = field.indexOf(event.eventId);
      if (idOffset < 0) throw new Error('event id not found in its encoded message');
      return { field, idOffset };
    });
  }

  /** The message with this sequence number, holding an event never handed out before. */
  next(sequence: number): Buffer {
    const template = this.#templates[this.#next++ % this.#templates.length];
    if (template === undefined) throw new Error('no message templates');
    const head: number[] = [0x08];
    for (let v = sequence; ; v = Math.floor(v / 0x80)) {
      if (v < 0x80) {
        head.push(v);
        break;
      }
      head.push((v % 0x80) | 0x80);
    }
    const message = Buffer.allocUnsafe(head.length + template.field.length);
    message.set(head, 0);
    template.field.copy(message, head.length);
    if (this.#randomAt + 16 > this.#random.length) {
      this.#random = randomBytes(16 * 4096);
      this.#randomAt = 0;
    }
    writeUuidV7(message, head.length + template.idOffset, Date.now(), this.#random, this.#randomAt);
    this.#randomAt += 16;
    return message;
  }
}

const streamMessages = new StreamMessageSource(4096);
const SUBMIT_STREAM = '/msi.ingest.v1.IngestService/SubmitStream';

/** `clients` concurrent SubmitBatch loops for `seconds`; optional target rate (events/s) in all. */
async function batchLoad(
  addresses: readonly string[],
  clients: number,
  seconds: number,
  targetRate?: number,
  /** When given, the load runs until this time (ms) instead, which the caller may move. */
  stopAt?: { ms: number },
) {
  const latencies: number[] = [];
  let durable = 0;
  let failed = 0;
  /** Failed events by why (a call's gRPC status or an event's failure code, with the first message). */
  const reasons = new Map<string, number>();
  const tally = (reason: string, events: number) => {
    failed += events;
    reasons.set(reason, (reasons.get(reason) ?? 0) + events);
  };
  const until = stopAt ?? { ms: Date.now() + seconds * 1000 };
  const start = Date.now();
  const perClientInterval = targetRate === undefined ? 0 : (BATCH * clients * 1000) / targetRate;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const client = new Client(addresses[c % addresses.length] ?? '', credentials.createInsecure(), {
        'grpc.max_send_message_length': 64 * 1024 * 1024,
      });
      let next = Date.now() + (perClientInterval * c) / clients;
      while (Date.now() < until.ms) {
        if (targetRate !== undefined) {
          const wait = next - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          next += perClientInterval;
        }
        const request = requests.next();
        const submittedAt = Date.now();
        const answer = await new Promise<ingestV1.SubmitBatchResponse | ServiceError>((resolve) =>
          client.makeUnaryRequest(
            SUBMIT_BATCH,
            (bytes: Buffer) => bytes,
            (bytes: Buffer) => ingestV1.SubmitBatchResponse.decode(bytes),
            request,
            metadata(),
            { deadline: Date.now() + 30_000 },
            (error, r) => resolve(error ?? (r as ingestV1.SubmitBatchResponse)),
          ),
        );
        const ackedAt = Date.now();
        if (answer instanceof Error) {
          tally(`${status[answer.code] ?? answer.code}: ${answer.details}`, BATCH);
          continue;
        }
        latencies.push(ackedAt - submittedAt);
        answer.acks.forEach((ack, i) => {
          if (ack.outcome?.$case === 'durable') {
            durable += 1;
            if (i % SAMPLE_EVERY === 0) samples.push({ id: formatUuid(ack.eventId), submittedAt, ackedAt });
          } else if (ack.outcome?.$case === 'failed') {
            const { code, message } = ack.outcome.value;
            tally(`${ingestV1.FailureCode[code] ?? code}: ${message}`, 1);
          } else tally('an ack with no outcome', 1);
        });
      }
      client.close();
    }),
  );
  const elapsed = (Date.now() - start) / 1000;
  return {
    rate: durable / elapsed,
    durable,
    failed,
    /** `N failed` and, when some did, why: the commonest reasons with their counts. */
    failedText: `${failed} failed${[...reasons]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([reason, n]) => `; ${n} × ${reason.slice(0, 160)}`)
      .join('')}`,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/**
 * STOREs every dataset the load reads (DATA), once, before any phase: the load's ACCESS events are
 * then compliant traffic for the alerter's custody rules (an access to data never stored would be an
 * unknown-provenance violation each time, which is not what a steady pipeline carries).
 */
async function storeDatasets(address: string): Promise<void> {
  const client = new ingestV1.IngestServiceClient(address, credentials.createInsecure());
  try {
    for (let from = 0; from < DATA.length; from += BATCH) {
      const events = DATA.slice(from, from + BATCH).map((data) =>
        eventV1.DataEvent.fromPartial({
          eventId: Buffer.from(mintUuidV7(Date.now(), randomBytes(16))),
          kind: eventV1.EventKind.EVENT_KIND_STORE,
          data,
          actor: 'loader',
          destination: { system: 'warehouse', region: 'eu-west-1', host: 'wh-3' },
          occurredAtUs: BigInt(Date.now() * 1000),
        }),
      );
      await new Promise<void>((resolve, reject) =>
        client.submitBatch({ events }, metadata(), { deadline: Date.now() + 30_000 }, (error) =>
          error === null ? resolve() : reject(error),
        ),
      );
    }
  } finally {
    client.close();
  }
}

/** `streams` SubmitStream calls, one event per request message, for `seconds`. */
async function streamLoad(addresses: readonly string[], streams: number, seconds: number) {
  let durable = 0;
  const end = Date.now() + seconds * 1000;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: streams }, async (_, s) => {
      const client = new Client(addresses[s % addresses.length] ?? '', credentials.createInsecure());
      const call = client.makeBidiStreamRequest(
        SUBMIT_STREAM,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => ingestV1.SubmitStreamResponse.decode(bytes),
        metadata(),
      );
      let sequence = 0n;
      let settled = 0n;
      let credit = 64n;
      let wake: (() => void) | undefined;
      call.on('data', (response: ingestV1.SubmitStreamResponse) => {
        settled = response.through;
        credit = BigInt(response.credit);
        for (const ack of response.acks) if (ack.outcome?.$case === 'durable') durable += 1;
        wake?.();
      });
      const done = new Promise<void>((resolve) => {
        call.on('end', resolve);
        call.on('error', () => resolve());
      });
      while (Date.now() < end) {
        if (sequence - settled >= credit) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 50);
          });
          continue;
        }
        sequence += 1n;
        const ok = call.write(streamMessages.next(Number(sequence)));
        if (!ok) await new Promise((resolve) => call.once('drain', resolve));
      }
      const deadline = Date.now() + 10_000;
      while (settled < sequence && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      call.end();
      await done;
      client.close();
    }),
  );
  return { rate: durable / ((Date.now() - start) / 1000), durable };
}

/** Raw JetStream publish of EventBatch messages of BATCH events (no ingest), pipelined. */
async function rawPublish(nc: NatsConnection, prefix: string, seconds: number): Promise<number> {
  const js = jetstream(nc);
  const template = Array.from({ length: BATCH }, () => randomBytes(300));
  const subject = `${prefix}raw.events.0`;
  const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(nc);
  const stream = `${prefix.toUpperCase()}RAW`;
  await jsm.streams.add({ name: stream, subjects: [`${prefix}raw.>`] });
  const end = Date.now() + seconds * 1000;
  const start = Date.now();
  let events = 0;
  let n = 0;
  const inflight: Promise<unknown>[] = [];
  while (Date.now() < end) {
    const payload = streamV1.EventBatch.encode({
      version: 1,
      batchId: `raw-${n}`,
      shard: 0,
      events: template,
    }).finish();
    inflight.push(js.publish(subject, payload, { msgID: `raw-${n++}` }).then(() => (events += BATCH)));
    if (inflight.length >= 16) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  const rate = events / ((Date.now() - start) / 1000);
  await jsm.streams.delete(stream);
  return rate;
}

/** Maps sampled events to the arrival time of the round that anchored them. */
async function anchoredLatencies(nc: NatsConnection, prefix: string, roundArrivals: Map<number, number>) {
  const js = jetstream(nc);
  const names = streamNamesFor(prefix);
  const wanted = new Map(samples.map((s) => [s.id, s]));
  const eventSeq = new Map<string, { shard: number; seq: number }>();
  for (let shard = 0; shard < SHARDS; shard++) {
    for (const message of await readSubject(js, names.events, subjectsFor(prefix).events(shard))) {
      for (const bytes of streamV1.EventBatch.decode(message.data).events) {
        const id = formatUuid(decodeEvent(bytes).eventId);
        if (wanted.has(id)) eventSeq.set(id, { shard, seq: message.seq });
      }
    }
  }
  const rounds = await readSubject(js, names.rounds, subjectsFor(prefix).rounds);
  const sealRound: { shard: number; start: number; end: number; round: number }[] = [];
  rounds.forEach((message, k) => {
    for (const bytes of streamV1.RoundAnchored.decode(message.data).seals) {
      const seal = decodeSeal(bytes);
      sealRound.push({ shard: seal.shard, start: seal.streamStart, end: seal.streamEnd, round: k });
    }
  });
  const latencies: number[] = [];
  let unanchored = 0;
  for (const sample of samples) {
    const at = eventSeq.get(sample.id);
    const seal = at && sealRound.find((s) => s.shard === at.shard && s.start <= at.seq && at.seq < s.end);
    const arrival = seal && roundArrivals.get(seal.round);
    if (arrival === undefined) unanchored += 1;
    else latencies.push(arrival - sample.submittedAt);
  }
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    measured: latencies.length,
    unanchored,
  };
}

/** Leaves of the seals published on `<prefix>.seals.*` while `during` runs, by arrival time. */
function countSealedLeaves(nc: NatsConnection, prefix: string) {
  const arrivals: { at: number; leaves: number }[] = [];
  const subscription = nc.subscribe(subjectsFor(prefix).allSeals, {
    callback: (error, message) => {
      if (error !== null) return;
      const seal = decodeSeal(streamV1.ShardSealed.decode(message.data).seal);
      arrivals.push({ at: Date.now(), leaves: seal.leafCount });
    },
  });
  const within = (fromMs: number, untilMs: number) =>
    arrivals.filter((a) => a.at >= fromMs && a.at < untilMs);
  return {
    leavesBetween: (fromMs: number, untilMs: number) =>
      within(fromMs, untilMs).reduce((sum, a) => sum + a.leaves, 0),
    sealsBetween: (fromMs: number, untilMs: number) => within(fromMs, untilMs).length,
    stop: () => subscription.unsubscribe(),
  };
}

/** How many EventBatch messages the events stream holds (its info: nothing is read or decoded). */
async function storedBatches(nc: NatsConnection, prefix: string): Promise<number> {
  const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(nc);
  return (await jsm.streams.info(streamNamesFor(prefix).events)).state.messages;
}

/** CPU µs of each Postgres backend the services opened (pg_stat_activity), by pid. */
async function backendCpu(db: Pool): Promise<Map<number, { application: string; cpuUs: number }>> {
  const { rows } = await db.query(
    "SELECT pid, application_name FROM pg_stat_activity WHERE application_name LIKE 'msi-%'",
  );
  const out = new Map<number, { application: string; cpuUs: number }>();
  for (const row of rows) {
    const cpuUs = await processCpuUs(Number(row.pid));
    if (cpuUs !== undefined) out.set(Number(row.pid), { application: String(row.application_name), cpuUs });
  }
  return out;
}

/** Per application, the CPU its backends open at both snapshots spent between them. */
function backendCpuByApplication(
  before: ReadonlyMap<number, { application: string; cpuUs: number }>,
  after: ReadonlyMap<number, { application: string; cpuUs: number }>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [pid, end] of after) {
    const start = before.get(pid);
    if (start === undefined || start.application !== end.application) continue;
    out.set(end.application, (out.get(end.application) ?? 0) + end.cpuUs - start.cpuUs);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

interface ConsumerLag {
  roundsMax: number;
  roundsMean: number;
  eventsMax: number;
  sealsMax: number;
  /** Mean rounds behind over the window's first and last fifth: a lag that grows is a rate not kept. */
  roundsFirstFifth: number;
  roundsLastFifth: number;
}

/**
 * Samples, every 500 ms, how far the verifier's and the alerter's cursors (their `cursors` tables)
 * are behind the last message of the rounds and events streams.
 */
function consumerCursors(db: Pool) {
  return db.query(
    `SELECT 'verifier' AS who, stream, last_seq FROM verifier.cursors WHERE stream IN ('rounds', 'events', 'seals')
     UNION ALL SELECT 'alerter', stream, last_seq FROM alerter.cursors WHERE stream IN ('rounds', 'events', 'seals')`,
  );
}

/** Rounds the slower consumer is behind the calendar now. */
async function roundsBehindNow(db: Pool, nc: NatsConnection, prefix: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const [rounds, cursors] = await Promise.all([
    jsm.streams.info(streamNamesFor(prefix).rounds),
    consumerCursors(db),
  ]);
  const applied = cursors.rows.filter((row) => row.stream === 'rounds').map((row) => Number(row.last_seq));
  return applied.length < 2 ? Number.POSITIVE_INFINITY : rounds.state.last_seq - Math.min(...applied);
}

/** With --consumers the window opens once both are within 2 rounds, after the warm-up (or this long). */
const SETTLE_MAX_SECONDS = 30;

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function sampleLags(db: Pool, nc: NatsConnection, prefix: string) {
  const samples = new Map<string, { rounds: number[]; events: number[]; seals: number[] }>();
  let stopped = false;
  const running = (async () => {
    const jsm = await jetstreamManager(nc);
    const names = streamNamesFor(prefix);
    while (!stopped) {
      const [rounds, events, seals, cursors] = await Promise.all([
        jsm.streams.info(names.rounds),
        jsm.streams.info(names.events),
        jsm.streams.info(names.seals),
        consumerCursors(db),
      ]);
      for (const row of cursors.rows) {
        const name = row.who === 'verifier' ? 'verifier projection' : 'alerter';
        const entry = samples.get(name) ?? { rounds: [], events: [], seals: [] };
        samples.set(name, entry);
        const applied = Number(row.last_seq);
        if (row.stream === 'rounds') entry.rounds.push(Math.max(0, rounds.state.last_seq - applied));
        else if (row.stream === 'seals') entry.seals.push(Math.max(0, seals.state.last_seq - applied));
        else entry.events.push(Math.max(0, events.state.last_seq - applied));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return {
    async stop(): Promise<Map<string, ConsumerLag>> {
      stopped = true;
      await running;
      return new Map(
        [...samples].map(([name, { rounds, events, seals }]) => [
          name,
          {
            roundsMax: Math.max(0, ...rounds),
            roundsMean: mean(rounds),
            roundsFirstFifth: mean(rounds.slice(0, Math.ceil(rounds.length / 5))),
            roundsLastFifth: mean(rounds.slice(-Math.ceil(rounds.length / 5))),
            eventsMax: Math.max(0, ...events),
            sealsMax: Math.max(0, ...seals),
          },
        ]),
      );
    },
  };
}

/** Each consumer's cursor (last applied stream sequence) on the events, seals and rounds streams. */
async function cursorsOf(db: Pool): Promise<Map<string, Record<string, number>>> {
  const { rows } = await consumerCursors(db);
  const by = new Map<string, Record<string, number>>();
  for (const row of rows) {
    const entry = by.get(row.who) ?? {};
    entry[row.stream] = Number(row.last_seq);
    by.set(row.who, entry);
  }
  return by;
}

/**
 * The consumers' maximum sustained rate: the verifier and the alerter are paused (SIGSTOP) while the
 * steady window's load runs `seconds` more, so that the events, seals and rounds of that load wait
 * for them in JetStream (their durable consumers); then the load stops and each is resumed (SIGCONT)
 * alone, the other still paused, and timed until its cursors reach the streams' last messages. Its
 * backlog's events over that time is the most it applies per second on this machine, with the
 * pipeline idle beside it: an upper bound, where the steady window with --rate finds the rate every
 * process sustains together. Both are resumed whatever happens.
 */
async function drainBacklogs(
  pipeline: Pipeline,
  nc: NatsConnection,
  prefix: string,
  section: Section,
  db: Pool,
  seconds: number,
): Promise<Map<string, number | undefined>> {
  const maxima = new Map<string, number | undefined>();
  const consumers = [
    { who: 'verifier', process: 'verifier', application: 'msi-verifier' },
    { who: 'alerter', process: 'alerter', application: 'msi-alerter' },
  ] as const;
  const pidOf = (name: string) => pipeline.processes.get(name)?.pid;
  const signal = (name: string, sig: NodeJS.Signals) => {
    const pid = pidOf(name);
    if (pid !== undefined) process.kill(pid, sig);
  };
  const jsm = await jetstreamManager(nc);
  const names = streamNamesFor(prefix);
  const lastSeqs = async () => {
    const [events, seals, rounds] = await Promise.all([
      jsm.streams.info(names.events),
      jsm.streams.info(names.seals),
      jsm.streams.info(names.rounds),
    ]);
    return { events: events.state.last_seq, seals: seals.state.last_seq, rounds: rounds.state.last_seq };
  };
  try {
    for (const c of consumers) signal(c.process, 'SIGSTOP');
    const start = await lastSeqs();
    const load = await batchLoad(pipeline.ingestAddresses, STEADY_CLIENTS, seconds, STEADY_RATE);
    // The last requests' events sealed and anchored: 2 rounds.
    await new Promise((resolve) => setTimeout(resolve, 2 * ROUND_MS + 500));
    const end = await lastSeqs();
    const eventsPerMessage = load.durable / Math.max(1, end.events - start.events);
    for (const c of consumers) {
      const at = (await cursorsOf(db)).get(c.who) ?? {};
      const backlogMessages = end.events - (at.events ?? 0);
      const cpuBefore = await cpuSnapshot(pipeline.processes, 'load generator (this process)');
      const pgBefore = await backendCpu(db);
      const t0 = Date.now();
      signal(c.process, 'SIGCONT');
      let caughtUp = false;
      while (Date.now() - t0 < 600_000) {
        const now = (await cursorsOf(db)).get(c.who) ?? {};
        if (
          (now.events ?? 0) >= end.events &&
          (now.seals ?? 0) >= end.seals &&
          (now.rounds ?? 0) >= end.rounds
        ) {
          caughtUp = true;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const elapsed = (Date.now() - t0) / 1000;
      const cpuAfter = await cpuSnapshot(pipeline.processes, 'load generator (this process)');
      const pgAfter = await backendCpu(db);
      const events = backlogMessages * eventsPerMessage;
      const cpuOf = (name: string) => (cpuAfter.get(name) ?? 0) - (cpuBefore.get(name) ?? 0);
      const pgUs = backendCpuByApplication(pgBefore, pgAfter).get(c.application) ?? 0;
      maxima.set(c.who, caughtUp ? events / elapsed : undefined);
      section.add({
        consumer: c.who,
        'backlog events': formatRate(Math.round(events)),
        'applied in s': elapsed.toFixed(1),
        'events/s': caughtUp ? formatRate(events / elapsed) : 'did not catch up in 600 s',
        'its CPU %': ((cpuOf(c.process) / 1e6 / elapsed) * 100).toFixed(0),
        'its CPU µs/event': (cpuOf(c.process) / events).toFixed(1),
        'Postgres for it µs/event': (pgUs / events).toFixed(1),
        'whole machine %': ((cpuOf('whole machine') / 1e6 / elapsed) * 100).toFixed(0),
      });
    }
    section.note(
      `the verifier and the alerter were paused (SIGSTOP) while ${formatRate(load.durable)} events were acked in ${seconds} s (${formatRate(load.rate)} events/s), then resumed one at a time (SIGCONT), the other still paused and no load, each timed until its cursors reached the last message of the events, seals and rounds streams; backlog events = its events-stream backlog in messages × the ${eventsPerMessage.toFixed(1)} events per EventBatch of the pause. Its maximum sustained rate on this machine with nothing else busy: an upper bound (the steady window with --rate finds the rate all processes sustain together).`,
    );
  } finally {
    for (const c of consumers) signal(c.process, 'SIGCONT');
  }
  return maxima;
}

/**
 * Steady load (STEADY_CLIENTS SubmitBatch loops, unthrottled) for a warm-up and then the steady
 * window; counts the leaves of the seals that arrive in the window (an ack alone hides a lagging
 * pipeline) and the CPU each process spent in it, per sealed leaf.
 */
async function steadyWindow(
  pipeline: Pipeline,
  nc: NatsConnection,
  prefix: string,
  section: Section,
  consumers: Pool | undefined,
) {
  const seals = countSealedLeaves(nc, prefix);
  const loadStart = Date.now();
  const stopAt = { ms: loadStart + (STEADY_WARMUP_SECONDS + SETTLE_MAX_SECONDS + STEADY_SECONDS) * 1000 };
  const load = batchLoad(pipeline.ingestAddresses, STEADY_CLIENTS, 0, STEADY_RATE, stopAt);
  await new Promise((resolve) => setTimeout(resolve, STEADY_WARMUP_SECONDS * 1000));
  // The consumers start behind (connections, JIT): the window opens at their steady state.
  let settled = consumers === undefined;
  while (
    consumers !== undefined &&
    Date.now() - loadStart < (STEADY_WARMUP_SECONDS + SETTLE_MAX_SECONDS) * 1000
  ) {
    if ((await roundsBehindNow(consumers, nc, prefix)) <= 2) {
      settled = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const from = Date.now();
  const warmedSeconds = (from - loadStart) / 1000;
  const lags = consumers === undefined ? undefined : sampleLags(consumers, nc, prefix);
  const before = await cpuSnapshot(pipeline.processes, 'load generator (this process)');
  const backendsBefore = consumers === undefined ? undefined : await backendCpu(consumers);
  const batchesBefore = await storedBatches(nc, prefix);
  await new Promise((resolve) => setTimeout(resolve, STEADY_SECONDS * 1000));
  const after = await cpuSnapshot(pipeline.processes, 'load generator (this process)');
  const backendsAfter = consumers === undefined ? undefined : await backendCpu(consumers);
  const lagged = await lags?.stop();
  const batchCount = (await storedBatches(nc, prefix)) - batchesBefore;
  const until = Date.now();
  stopAt.ms = until;
  const r = await load;
  seals.stop();
  const seconds = (until - from) / 1000;
  const leaves = seals.leavesBetween(from, until);
  const sealCount = seals.sealsBetween(from, until);
  section.add({
    process: 'sealed leaves',
    'per second': formatRate(leaves / seconds),
    'CPU µs/event': '',
    'CPU %': '',
  });
  section.add({
    process: 'seals',
    'per second': formatRate(sealCount / seconds),
    'CPU µs/event': '',
    'CPU %': '',
  });
  section.add({
    process: 'EventBatch messages',
    'per second': formatRate(batchCount / seconds),
    'CPU µs/event': '',
    'CPU %': '',
  });
  const spentRow = (name: string, spent: number) =>
    section.add({
      process: name,
      'per second': '',
      'CPU µs/event': leaves === 0 ? 'n/a' : (spent / leaves).toFixed(1),
      'CPU %': ((spent / (seconds * 1e6)) * 100).toFixed(0),
    });
  for (const [name, start] of before) {
    const end = after.get(name);
    spentRow(name, start === undefined || end === undefined ? Number.NaN : end - start);
  }
  if (backendsBefore !== undefined && backendsAfter !== undefined) {
    for (const [application, spent] of backendCpuByApplication(backendsBefore, backendsAfter)) {
      spentRow(`  postgres for ${application}`, spent);
    }
  }
  section.note(
    `${STEADY_CLIENTS} clients ${STEADY_RATE === undefined ? 'unthrottled' : `at ${formatRate(STEADY_RATE)} events/s in all`}; window of ${seconds.toFixed(1)} s after ${warmedSeconds.toFixed(1)} s of warm-up${consumers === undefined ? '' : settled ? ' (at least 5 s, then until both consumers were within 2 rounds)' : ` (the consumers were not within 2 rounds after ${SETTLE_MAX_SECONDS} s more: the window opened anyway)`}; acks over the whole run ${formatRate(r.rate)} events/s (ack p99 ${r.p99} ms, ${r.failedText}).`,
  );
  section.note(
    'sealed leaves = leaf_count of the ShardSealed messages arriving in the window; CPU per event = CPU time in the window / those leaves (10 ms resolution).',
  );
  section.note(
    'postgres and nats-server: every process of that name on this machine (with their exited children), empty when the server runs elsewhere; whole machine: /proc/stat busy time, 200 % being both cores of this one. postgres for an application: its backends open at both ends of the window (pg_stat_activity), per application_name.',
  );
  section.note(
    `${SHARDS} shards, ${AGGREGATORS} aggregators: ${sealCount === 0 ? 'n/a' : (leaves / sealCount).toFixed(0)} leaves per seal on average, ${batchCount === 0 ? 'n/a' : (leaves / batchCount).toFixed(1)} events per EventBatch (sealed leaves / EventBatch messages stored in the window, from the stream's info; at a steady state both flows match).`,
  );
  for (const [name, lag] of lagged ?? []) {
    section.note(
      `${name}: behind the calendar max ${lag.roundsMax} rounds (mean ${lag.roundsMean.toFixed(2)}; ${lag.roundsFirstFifth.toFixed(1)} in the window's first fifth, ${lag.roundsLastFifth.toFixed(1)} in its last), behind the events stream max ${formatRate(lag.eventsMax)} messages, the seals stream max ${formatRate(lag.sealsMax)}; ${lag.roundsMax <= 2 ? 'kept up' : 'did NOT keep up'} (issue 14: lag ≤ 2 rounds).`,
    );
  }
  console.log(
    `steady: shards=${SHARDS} aggregators=${AGGREGATORS} sealed_per_s=${(leaves / seconds).toFixed(0)} seals_per_s=${(sealCount / seconds).toFixed(1)} leaves_per_seal=${sealCount === 0 ? 'n/a' : (leaves / sealCount).toFixed(1)} batches_per_s=${(batchCount / seconds).toFixed(1)} events_per_batch=${batchCount === 0 ? 'n/a' : (leaves / batchCount).toFixed(1)}`,
  );
  return {
    sealedRate: leaves / seconds,
    consumersKeptUp:
      lagged === undefined ? undefined : [...lagged.values()].every((lag) => lag.roundsMax <= 2),
  };
}

/** The ack histogram of every ingest process (summed), read from their metrics ports. */
async function ingestAckHistogram(ports: readonly number[]): Promise<histogram.HistogramCounts> {
  const texts = await Promise.all(
    ports.map(async (port) => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`ingest metrics on port ${port}: HTTP ${response.status}`);
      return response.text();
    }),
  );
  return histogram.sumHistograms(
    texts.map((text) => histogram.parseHistogram(text, 'msi_ingest_ack_seconds')),
  );
}

/** A histogram bucket's upper bound in seconds as '≤ N' ms. */
function bucketText(bound: number | undefined): string {
  if (bound === undefined) return '-';
  return Number.isFinite(bound) ? `≤ ${Math.round(bound * 1000)}` : '> last bucket';
}

async function rssOf(pid: number | undefined): Promise<{ text: string; peakMiB: number }> {
  if (pid === undefined) return { text: 'n/a', peakMiB: Number.NaN };
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const hwm = Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024);
    const rss = Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024);
    return { text: `${rss} MiB (peak ${hwm} MiB)`, peakMiB: hwm };
  } catch {
    return { text: 'exited', peakMiB: Number.NaN };
  }
}

/** What durability the figures were measured at: read from Postgres and the streams, where it can be. */
async function durabilityOf(nc: NatsConnection, prefix: string, databaseUrl: string): Promise<string> {
  const db = createPool({ connectionString: databaseUrl, max: 1, applicationName: 'msi-bench' });
  try {
    const setting = async (name: string) => String((await db.query(`SHOW ${name}`)).rows[0]?.[name]);
    const jsm = await jetstreamManager(nc);
    const events = (await jsm.streams.info(streamNamesFor(prefix).events)).config;
    return [
      `Postgres synchronous_commit=${await setting('synchronous_commit')}, fsync=${await setting('fsync')}`,
      `NATS JetStream: events stream replicas ${events.num_replicas}, ${events.storage} storage, the server's sync_interval (2.9's default: fsync every 2 minutes)`,
      'ingest acks after the JetStream publish acks of the ClaimBatch and the EventBatch',
    ].join('; ');
  } finally {
    await db.end();
  }
}

/** Issue 14's targets against this run's figures; a phase this run skipped shows as not measured. */
function targetRows(
  section: Section,
  run: {
    sealedRate: number;
    raw: number;
    consumersKeptUp: boolean | undefined;
    streamRate: number | undefined;
    halfLoad: { ackP99: number; anchoredP99: number } | undefined;
    ingestPeakMiB: number;
    /** With --drain: each consumer's maximum (events/s applied alone; undefined: it did not catch up). */
    consumerMaxima: Map<string, number | undefined> | undefined;
    durability: string;
  },
): void {
  const row = (figure: string, value: string, target: string, ratio: number) =>
    section.add({ figure, value, target, ratio: formatRatio(ratio) });
  const notMeasured = (figure: string, target: string, why: string) =>
    section.add({ figure, value: `not measured (${why})`, target, ratio: '-' });
  const sealed = `${formatRate(run.sealedRate)}/s`;
  if (STREAM_ONLY) notMeasured('sealed leaves', '100,000/s', '--stream-only');
  else if (CONSUMERS) {
    const kept = run.consumersKeptUp === true ? 'consumers kept up' : 'consumers did NOT keep up';
    row(
      `sealed leaves, ${kept}${STEADY_RATE === undefined ? '' : ` (--rate ${STEADY_RATE})`}`,
      sealed,
      '50,000/s (milestone 30,000)',
      run.consumersKeptUp === true ? run.sealedRate / 50_000 : 0,
    );
  } else {
    row('sealed leaves', sealed, '100,000/s (milestone 60,000)', run.sealedRate / 100_000);
    row(
      'sealed / raw JetStream publish',
      `${((run.sealedRate / run.raw) * 100).toFixed(1)}%`,
      '≥ 10%',
      run.sealedRate / run.raw / 0.1,
    );
  }
  if (run.streamRate === undefined) notMeasured('SubmitStream', '30,000/s', '--steady-only');
  else
    row(
      'SubmitStream, one event per message',
      `${formatRate(run.streamRate)}/s`,
      '30,000/s',
      run.streamRate / 30_000,
    );
  if (run.halfLoad === undefined) {
    notMeasured('durable-ack p99 at half load', '≤ 50 ms', 'no half-load phase in this run');
    notMeasured('ingest→anchored p99', '≤ 1,500 ms', 'no half-load phase in this run');
  } else {
    row('durable-ack p99 at half load', `${run.halfLoad.ackP99} ms`, '≤ 50 ms', 50 / run.halfLoad.ackP99);
    row(
      'ingest→anchored p99',
      `${run.halfLoad.anchoredP99} ms`,
      '≤ 1,500 ms',
      1500 / run.halfLoad.anchoredP99,
    );
  }
  row('ingest peak RSS (largest process)', `${run.ingestPeakMiB} MiB`, '≤ 256 MiB', 256 / run.ingestPeakMiB);
  // "The verifier's projection and the alerter sustain the rate you reach": each one's maximum, alone,
  // against the steady window's sealed rate.
  for (const [who, max] of run.consumerMaxima ?? []) {
    const figure = `${who} maximum (backlog applied alone, --drain)`;
    const target = `≥ the sealed rate (${sealed})`;
    if (max === undefined) row(figure, 'did not catch up', target, 0);
    else row(figure, `${formatRate(max)}/s`, target, run.sealedRate > 0 ? max / run.sealedRate : 0);
  }
  section.note(
    'ratio: the figure over its target (for a bound, the bound over the figure); 1.00x or more meets it.',
  );
  section.note(`durability: ${run.durability}.`);
}

async function main(): Promise<void> {
  console.log(
    `MSI pipeline benchmark — Node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
  );
  console.log(
    `${SHARDS} shards, ${AGGREGATORS} aggregators, ${INGESTS} ingest process(es), ${ROUND_MS} ms rounds, batches of ${BATCH}, ${PHASE_SECONDS} s per phase, ${DATASETS} datasets`,
  );
  const servers = await startTestServers();
  console.log(`servers: NATS from ${servers.origin.nats}, Postgres from ${servers.origin.postgres}`);
  const sink = TRACE_RATIO === undefined ? undefined : await startOtlpSink();
  const otel: Record<string, string> =
    sink === undefined
      ? {}
      : {
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: String(TRACE_RATIO),
        };
  console.log(
    sink === undefined
      ? 'tracing: off'
      : `tracing: on, parentbased_traceidratio ${TRACE_RATIO}, OTLP/HTTP to a sink`,
  );
  for (const [service, flags] of Object.entries(NODE_ARGS))
    console.log(`${service} node flags: ${flags.join(' ')}`);
  if (Object.keys(INGEST_ENV).length > 0)
    console.log(
      `ingest settings: ${Object.entries(INGEST_ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  const prefix = uniquePrefix();
  const database = await createFreshDatabase(servers.databaseUrl, 'bench');
  const workDir = await mkdtemp(join(tmpdir(), 'msi-bench-'));
  const nc = await connectNats({ servers: servers.natsUrl, name: 'msi-bench' });
  await ensureStreams(await (await import('@nats-io/jetstream')).jetstreamManager(nc), prefix, {
    replicas: 1,
    eventsMaxAgeMs: 3600_000,
    duplicateWindowMs: 5 * 60_000,
  });
  const durabilityText = await durabilityOf(nc, prefix, database.url);
  console.log(`durability: ${durabilityText}`);
  const roundArrivals = new Map<number, number>();
  let roundsSeen = 0;
  const subscription = nc.subscribe(subjectsFor(prefix).rounds);
  void (async () => {
    for await (const _message of subscription) roundArrivals.set(roundsSeen++, Date.now());
  })();
  let pipeline: Pipeline | undefined;
  const consumerDb = CONSUMERS
    ? createPool({ connectionString: database.url, max: 2, applicationName: 'msi-bench' })
    : undefined;
  // Each ingest serves its metrics on a port of its own: the half-load phase reads its ack histogram.
  const ingestMetricsPorts = await Promise.all(Array.from({ length: INGESTS }, () => freePort()));
  try {
    pipeline = await startPipeline({
      root: repositoryRoot(),
      workDir,
      natsUrl: servers.natsUrl,
      databaseUrl: database.url,
      prefix,
      shards: SHARDS,
      roundIntervalMs: ROUND_MS,
      aggregators: AGGREGATORS,
      ingestPort: await freePort(),
      ...(CONSUMERS
        ? {
            verifierPort: await freePort(),
            alerter: {
              port: await freePort(),
              policyFile: join(repositoryRoot(), 'services/alerter/policies/default.yaml'),
            },
          }
        : {}),
      moreIngestPorts: await Promise.all(Array.from({ length: INGESTS - 1 }, () => freePort())),
      apiKeys: [{ key: API_KEY, tenant: 'bench', principal: 'loadgen', roles: ['emitter'] }],
      logLevel: 'warn',
      extraEnv: {
        ingest: {
          MSI_INGEST_MAX_IN_FLIGHT: '200000',
          ...(CLAIM_MEMORY_MS === undefined ? {} : { MSI_INGEST_CLAIM_MEMORY_MS: CLAIM_MEMORY_MS }),
          ...INGEST_ENV,
          ...otel,
          MSI_INGEST_METRICS_PORT: String(ingestMetricsPorts[0]),
        },
        // the entry by name wins over the service's (`ingest` above is both the first's name and the service)
        ...Object.fromEntries(
          ingestMetricsPorts
            .slice(1)
            .map((port, i) => [`ingest-${i + 2}`, { MSI_INGEST_METRICS_PORT: String(port) }]),
        ),
        aggregator: otel,
        calendar: otel,
      },
      nodeArgs: nodeArgsOf(),
      onLine: ({ name, line }) => {
        if (line.includes('"level":"error"')) console.log(`  [${name}] ${line.slice(0, 300)}`);
      },
    });
    await pipeline.waitUntilServing(60_000);
    const address = pipeline.ingestAddresses;
    if (CONSUMERS && !STORM) await storeDatasets(address[0] ?? '');
    await batchLoad(address, 2, 2); // warm-up
    samples.length = 0;

    let best = 0;
    let halfLoad: { ackP99: number; anchoredP99: number } | undefined;
    let streamRate: number | undefined;
    if (!STEADY_ONLY && !STREAM_ONLY) {
      await runSection(
        'SubmitBatch: throughput curve (durable events/s by concurrent clients)',
        async (section: Section) => {
          for (const clients of quick ? [4] : [1, 2, 4, 8]) {
            const r = await batchLoad(address, clients, PHASE_SECONDS);
            best = Math.max(best, r.rate);
            section.add({
              clients,
              'events/s': formatRate(r.rate),
              'ack p50 ms': r.p50,
              'ack p99 ms': r.p99,
              failed: r.failed,
            });
          }
          section.note(
            'requests (1,000 fresh events each) are copies of 16 encoded templates with fresh event ids written in: real clients run on other machines.',
          );
        },
      );
      samples.length = 0;
      const half = best / 2;
      await runSection(
        `Half load (${formatRate(half)} events/s target, SubmitBatch): latencies`,
        async (section) => {
          const ackBefore = await ingestAckHistogram(ingestMetricsPorts);
          // The clients' own event loop: a request answered while it is busy is timed late by that much.
          const clientDelay = monitorEventLoopDelay({ resolution: 1 });
          clientDelay.enable();
          const r = await batchLoad(address, 4, PHASE_SECONDS, half);
          clientDelay.disable();
          const ownAck = histogram.histogramDelta(ackBefore, await ingestAckHistogram(ingestMetricsPorts));
          await new Promise((resolve) => setTimeout(resolve, 4 * ROUND_MS));
          const anchored = await anchoredLatencies(nc, prefix, roundArrivals);
          halfLoad = { ackP99: r.p99, anchoredP99: anchored.p99 };
          section.add({
            'events/s': formatRate(r.rate),
            'ack p50 ms': r.p50,
            'ack p99 ms': r.p99,
            'in ingest p50 ms': bucketText(histogram.quantileBound(ownAck, 0.5)),
            'in ingest p99 ms': bucketText(histogram.quantileBound(ownAck, 0.99)),
            'anchored p50 ms': anchored.p50,
            'anchored p99 ms': anchored.p99,
            "clients' loop delay p99/max ms": `${(clientDelay.percentile(99) / 1e6).toFixed(1)}/${(clientDelay.max / 1e6).toFixed(1)}`,
            'sampled events': anchored.measured,
            unanchored: anchored.unanchored,
          });
          section.note(
            'anchored = from submitting the request to the arrival of the RoundAnchored message covering the event (sampled events).',
          );
          section.note(
            `in ingest = each ingest's own time per request from admitting its events to their acks (claim, batch, JetStream acks), read from its msi_ingest_ack_seconds histogram over the phase (${histogram.observations(ownAck)} requests), as the bound of the bucket that holds the quantile; the rest of the ack figure is the request's way in (transfer, decoding, validation, hashing), the answer's way back and the clients.`,
          );
          section.note(
            "clients' loop delay = the event-loop delay of this process (the load generator and its 4 clients) over the load, sampled every 1 ms (node:perf_hooks): an answer that arrives while it is busy is timed late by up to that much.",
          );
        },
      );
    }
    if (!STEADY_ONLY) {
      streamRate = 0;
      await runSection('SubmitStream: one event per message', async (section) => {
        for (const streams of quick ? [8] : [4, 16]) {
          const before =
            pipeline === undefined
              ? undefined
              : await cpuSnapshot(pipeline.processes, 'load generator (this process)');
          const batchesBefore = await storedBatches(nc, prefix);
          const r = await streamLoad(address, streams, PHASE_SECONDS);
          const batches = (await storedBatches(nc, prefix)) - batchesBefore;
          streamRate = Math.max(streamRate ?? 0, r.rate);
          const after =
            pipeline === undefined
              ? undefined
              : await cpuSnapshot(pipeline.processes, 'load generator (this process)');
          const perEvent = (names: (name: string) => boolean) => {
            let spent = 0;
            for (const [name, end] of after ?? []) {
              const begin = before?.get(name);
              if (names(name) && end !== undefined && begin !== undefined) spent += end - begin;
            }
            return r.durable === 0 ? 'n/a' : (spent / r.durable).toFixed(1);
          };
          section.add({
            streams,
            'events/s': formatRate(r.rate),
            durable: r.durable,
            'ingest CPU µs/event': perEvent((name) => name.startsWith('ingest')),
            'load generator CPU µs/event': perEvent((name) => name.startsWith('load generator')),
            'events per EventBatch': batches === 0 ? 'n/a' : (r.durable / batches).toFixed(1),
          });
        }
        section.note(
          'CPU per event over the phase (ingest: all ingest processes together); the load generator builds and encodes each event message; events per EventBatch: durable events / EventBatch messages stored in the phase.',
        );
      });
    }
    let sealedRate = 0;
    let consumersKeptUp: boolean | undefined;
    if (!STREAM_ONLY) {
      await runSection(
        `Steady window: sealed leaves and CPU per event (${STEADY_SECONDS} s)`,
        async (section) => {
          if (pipeline !== undefined) {
            const steady = await steadyWindow(pipeline, nc, prefix, section, consumerDb);
            sealedRate = steady.sealedRate;
            consumersKeptUp = steady.consumersKeptUp;
          }
        },
      );
    }
    let consumerMaxima: Map<string, number | undefined> | undefined;
    if (DRAIN_SECONDS !== undefined && consumerDb !== undefined && pipeline !== undefined) {
      const drainPipeline = pipeline;
      await runSection(
        `Consumers' maximum: a backlog of ${DRAIN_SECONDS} s of load, applied by each alone`,
        async (section) => {
          consumerMaxima = await drainBacklogs(drainPipeline, nc, prefix, section, consumerDb, DRAIN_SECONDS);
        },
      );
    }
    let raw = 0;
    await runSection('Raw JetStream publish, same batch size (no ingest)', async (section) => {
      raw = await rawPublish(nc, prefix, Math.min(PHASE_SECONDS, 5));
      section.add({
        'events/s': formatRate(raw),
        // A phase the run skipped is 'n/a', never a 0 that reads as measured.
        'ingest SubmitBatch best': STEADY_ONLY || STREAM_ONLY ? 'n/a' : formatRate(best),
        ratio: STEADY_ONLY || STREAM_ONLY ? 'n/a' : `${((best / raw) * 100).toFixed(1)}%`,
        'sealed leaves/s (steady)': STREAM_ONLY ? 'n/a' : formatRate(sealedRate),
        'sealed ratio': STREAM_ONLY ? 'n/a' : `${((sealedRate / raw) * 100).toFixed(1)}%`,
      });
    });
    let ingestPeakMiB = 0;
    await runSection('Memory per service', async (section) => {
      for (const [name, child] of pipeline?.processes ?? []) {
        const rss = await rssOf(child.pid);
        section.add({ service: name, rss: rss.text });
        if (name.startsWith('ingest')) ingestPeakMiB = Math.max(ingestPeakMiB, rss.peakMiB);
      }
    });
    await runSection("Issue 14's targets (this run)", (section) =>
      targetRows(section, {
        sealedRate,
        raw,
        consumersKeptUp,
        streamRate,
        halfLoad,
        ingestPeakMiB,
        consumerMaxima,
        durability: durabilityText,
      }),
    );
    if (sink !== undefined) {
      await pipeline.stop(); // flushes the services' last spans
      pipeline = undefined;
      await runSection('Traces exported (OTLP/HTTP JSON)', async (section) => {
        const { requests, bytes } = sink.received();
        section.add({ ratio: String(TRACE_RATIO), requests, MB: (bytes / 1e6).toFixed(1) });
      });
    }
  } finally {
    subscription.unsubscribe();
    await consumerDb?.end();
    await pipeline?.stop();
    await sink?.close();
    await nc.close();
    await database.drop().catch(() => {});
    await deleteNatsNamespace(servers.natsUrl, prefix).catch(() => {});
    await servers.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
