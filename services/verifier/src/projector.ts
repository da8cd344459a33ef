import {
  CHECKPOINT_VIOLATIONS,
  decodeEvent,
  decodeRound,
  decodeSeal,
  type Ed25519Verifier,
  emptyFollowerState,
  encodeImprint,
  eventLeafHash,
  type FollowerState,
  type FollowViolation,
  followRound,
  kindCode,
  type NoteVerifierKey,
  packCompactRange,
  packFollowerState,
  type SealRecord,
  unpackCompactRange,
  unpackFollowerState,
} from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { defaultStreamSettings, ensureStreams, shardOfSubject, streamNamesFor, subjectsFor } from '@msi/nats';
import {
  inTransaction,
  migrate,
  type Pool,
  type PoolClient,
  toBytes,
  toSafeInteger,
  toText,
} from '@msi/postgres';
import { streamV1, verifierV1 } from '@msi/proto';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { checkSeal, locateSeals } from './checks.js';
import { checkCosigned } from './cosigned.js';
import { type Failure, publishFailure } from './integrity.js';
import type { ProjectionPositions, VerifierMetrics } from './metrics.js';
import { tracedProjection } from './projection-span.js';
import { MIGRATION_LOCK_KEY, MIGRATIONS, MIGRATIONS_TABLE, PROJECTION_TABLES, SCHEMA } from './schema.js';

const Kind = verifierV1.IntegrityFailureKind;
type StreamKey = 'events' | 'seals' | 'rounds' | 'checkpoints';
const KEYS: readonly StreamKey[] = ['events', 'seals', 'rounds', 'checkpoints'];
/** How long the projector waits when no consumer had anything, ms (woken by nothing: it polls). */
const IDLE_MS = 25;
/**
 * How long a cosigned checkpoint of a size the rounds have not reached yet waits (after the rounds
 * stream is fully applied) before it is reported: the calendar publishes the round first.
 */
const COSIGNED_GRACE_MS = 10_000;

/** The durable consumer of the projection on one stream (one filter subject each, NATS 2.9). */
export const consumerName = (key: StreamKey): string => `verifier_${key}`;

export interface ProjectorOptions {
  readonly pool: Pool;
  readonly nc: NatsConnection;
  readonly prefix: string;
  /** JetStream replicas for streams it creates or updates (every service the same; default 1). */
  readonly natsReplicas?: number;
  readonly hasher: MerkleHasher;
  readonly ed25519: Ed25519Verifier;
  /** The trusted calendar key (a parsed verifier key string). */
  readonly calendarKey: NoteVerifierKey;
  /**
   * Witness keys (0x04) whose cosignature lines are checked: a line of one of them that does not
   * verify is dropped. Lines of other keys are kept. Default: none.
   */
  readonly witnessKeys?: readonly NoteVerifierKey[];
  readonly log: Logger;
  readonly now: () => number;
  /** Called after each integrity failure is recorded and published. */
  readonly onFailure?: (failure: Failure) => void;
  /** Counts what is applied (after each commit). */
  readonly metrics?: Pick<
    VerifierMetrics,
    'eventsApplied' | 'sealsApplied' | 'roundsApplied' | 'checkpointsApplied' | 'cosignedApplied'
  >;
}

/** Creates the schema and applies the migrations (idempotent). */
export async function prepareProjection(pool: Pool): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  await migrate(pool, MIGRATIONS, { table: MIGRATIONS_TABLE, lockKey: MIGRATION_LOCK_KEY });
}

/** Drops the projection (schema and consumers): the next start rebuilds it from the streams. */
export async function dropProjection(pool: Pool, jsm: JetStreamManager, prefix: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  const names = streamNamesFor(prefix);
  for (const key of KEYS) await jsm.consumers.delete(names[key], consumerName(key)).catch(() => {});
}

/** A SHA-256 digest (hex) over every projection table's rows in key order. */
export async function projectionDigest(db: Pool): Promise<string> {
  const parts: string[] = [];
  for (const { name, key } of PROJECTION_TABLES) {
    const { rows } = await db.query(
      `SELECT encode(sha256(convert_to(coalesce(string_agg(t::text, E'\\n' ORDER BY ${key}), ''), 'UTF8')), 'hex') AS d
       FROM ${SCHEMA}.${name} t`,
    );
    parts.push(`${name}:${String(rows[0]?.d)}`);
  }
  return parts.join(' ');
}

interface Pump {
  readonly key: StreamKey;
  consumer: Consumer;
  held: JsMsg[];
  cursor: number;
}

/**
 * The event-sourced projection: four durable pull consumers (events, seals, rounds, checkpoints) with explicit
 * acks, each started from the projection's own cursor (the database, not a consumer's ack floor, is
 * the truth). Seals wait for the events they cover, rounds for their seals; each is checked as it
 * is applied, cosigned checkpoints wait for the checkpoint of their size, and every mismatch is an integrity failure (a row in `integrity_failures` and an
 * IntegrityFailure on `<prefix>.integrity.verifier`).
 */
export class Projector {
  readonly #o: ProjectorOptions;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  #pumps = new Map<StreamKey, Pump>();
  /** The calendar as followed from the rounds stream (core followRound). */
  #calendar!: FollowerState;
  #loop: RunningLoop | undefined;
  /** Set when a step failed: the consumers are recreated from the stored cursors before going on. */
  #resumeAttempt = 0;

  private constructor(o: ProjectorOptions, jsm: JetStreamManager) {
    this.#o = o;
    this.#js = jetstream(o.nc);
    this.#jsm = jsm;
  }

  /** Prepares the schema, (re)creates the consumers from the stored cursors and starts applying. */
  static async start(o: ProjectorOptions): Promise<Projector> {
    await prepareProjection(o.pool);
    const jsm = await jetstreamManager(o.nc);
    // The streams may not exist yet when the verifier starts first (idempotent; as ingest does).
    await ensureStreams(jsm, o.prefix, { ...defaultStreamSettings, replicas: o.natsReplicas ?? 1 });
    const p = new Projector(o, jsm);
    await p.#load();
    await p.#resetConsumers();
    p.#loop = every({ intervalMs: IDLE_MS, run: () => p.#step() });
    return p;
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
  }

  /** True when every message stored on the four streams has been applied. */
  async caughtUp(): Promise<boolean> {
    for (const pump of this.#pumps.values()) {
      if (pump.held.length > 0) return false;
      const info = await pump.consumer.info();
      if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
    }
    return true;
  }

  /** Per stream, the last sequence applied and the stream's last sequence (for the lag metric). */
  async positions(): Promise<ProjectionPositions> {
    const names = streamNamesFor(this.#o.prefix);
    const out: Record<string, { applied: number; last: number }> = {};
    for (const key of KEYS) {
      const pump = this.#pumps.get(key);
      if (pump === undefined) continue;
      const info = await this.#jsm.streams.info(names[key]);
      out[key] = { applied: pump.cursor, last: info.state.last_seq };
    }
    return out;
  }

  async #load(): Promise<void> {
    const { rows } = await this.#o.pool.query(
      `SELECT s.size, s.range_hashes, s.origin, s.follower, r.record AS last_record
       FROM ${SCHEMA}.calendar_state s LEFT JOIN ${SCHEMA}.rounds r ON r.k = s.size - 1`,
    );
    const row = rows[0];
    this.#calendar =
      row.follower === null
        ? legacyFollower(this.#o.hasher, row)
        : unpackFollowerState(this.#o.hasher, toBytes(row.follower, 'follower'));
  }

  async #resetConsumers(): Promise<void> {
    const names = streamNamesFor(this.#o.prefix);
    const subjects = subjectsFor(this.#o.prefix);
    const filters: Record<StreamKey, string> = {
      events: subjects.allEvents,
      seals: subjects.allSeals,
      rounds: subjects.rounds,
      checkpoints: subjects.checkpoints,
    };
    const { rows } = await this.#o.pool.query(`SELECT stream, last_seq FROM ${SCHEMA}.cursors`);
    for (const key of KEYS) {
      const cursor = toSafeInteger(rows.find((r) => r.stream === key)?.last_seq ?? 0, 'last_seq');
      await this.#jsm.consumers.delete(names[key], consumerName(key)).catch(() => {});
      await this.#jsm.consumers.add(names[key], {
        durable_name: consumerName(key),
        filter_subject: filters[key],
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: cursor + 1,
        ack_policy: AckPolicy.Explicit,
        ack_wait: 300_000_000_000,
        max_ack_pending: 10_000,
      });
      const consumer = await this.#js.consumers.get(names[key], consumerName(key));
      this.#pumps.set(key, { key, consumer, held: [], cursor });
    }
  }

  /** One step: what every consumer has (at once again when anything was applied), or a resume. */
  async #step(): Promise<number> {
    if (this.#resumeAttempt > 0) return this.#resume();
    let progressed = false;
    try {
      for (const key of KEYS) if (await this.#pump(key)) progressed = true;
    } catch (error: unknown) {
      this.#o.log.error('projection step failed; resuming from the stored cursors', { error });
      this.#resumeAttempt = 1;
      return 500;
    }
    return progressed ? 0 : IDLE_MS;
  }

  /**
   * Recreates the consumers from the stored cursors, retried (every second) until the database and
   * NATS answer — through an outage. Pumping on with the old consumers is no option: what they
   * delivered but was not applied would come back only after ack_wait (5 minutes).
   */
  async #resume(): Promise<number> {
    const attempt = this.#resumeAttempt;
    try {
      await this.#load();
      await this.#resetConsumers();
      if (attempt > 1) this.#o.log.info('projection resumed', { attempts: attempt });
      this.#resumeAttempt = 0;
      return 0;
    } catch (reset: unknown) {
      if (attempt === 1 || attempt % 30 === 0)
        this.#o.log.warn('could not resume the projection yet; retrying', { attempt, error: reset });
      this.#resumeAttempt = attempt + 1;
      return 1000;
    }
  }

  /** Applies what one consumer has; returns whether anything was applied. */
  async #pump(key: StreamKey): Promise<boolean> {
    const pump = this.#pumps.get(key);
    if (pump === undefined) return false;
    let messages = pump.held;
    pump.held = [];
    if (messages.length === 0) {
      const info = await pump.consumer.info();
      if (info.num_pending === 0) return false;
      const batch = await pump.consumer.fetch({
        max_messages: Math.min(info.num_pending, key === 'events' ? 256 : 64),
        expires: 2000,
      });
      messages = [];
      for await (const m of batch) messages.push(m);
    }
    const fresh = messages.filter((m) => {
      if (m.seq > pump.cursor) return true;
      m.ack(); // a redelivery of something applied
      return false;
    });
    if (key === 'events') {
      if (fresh.length === 0) return messages.length > 0;
      await this.#applyEvents(fresh);
      pump.cursor = fresh.at(-1)?.seq ?? pump.cursor;
      for (const m of fresh) m.ack();
      return true;
    }
    let applied = 0;
    for (const m of fresh) {
      const done =
        key === 'seals'
          ? await tracedProjection('verifier.project_seal', m, () => this.#applySeal(m))
          : key === 'rounds'
            ? await tracedProjection('verifier.project_round', m, () => this.#applyRound(m))
            : await this.#applyCosigned(m);
      if (!done) break;
      pump.cursor = m.seq;
      m.ack();
      applied++;
    }
    pump.held = fresh.slice(applied);
    for (const m of pump.held) m.working();
    return applied > 0;
  }

  async #applyEvents(messages: readonly JsMsg[]): Promise<void> {
    const cols = {
      seq: [] as number[],
      pos: [] as number[],
      shard: [] as number[],
      tenant: [] as string[],
      id: [] as Buffer[],
      kind: [] as number[],
      data: [] as Buffer[],
      to: [] as string[],
      received: [] as number[],
      canonical: [] as Buffer[],
      leaf: [] as Buffer[],
    };
    const imprints = {
      imprint: [] as Buffer[],
      role: [] as string[],
      seq: [] as number[],
      pos: [] as number[],
    };
    for (const m of messages) {
      let shard: number;
      let batch: streamV1.EventBatch;
      try {
        shard = shardOfSubject(m.subject);
        batch = streamV1.EventBatch.decode(m.data);
      } catch {
        continue; // not an EventBatch: contributes no leaves, as for the aggregator
      }
      if (batch.version !== 1 || batch.shard !== shard) continue;
      batch.events.forEach((bytes, position) => {
        let event: ReturnType<typeof decodeEvent>;
        try {
          event = decodeEvent(bytes);
        } catch {
          return; // contributes no leaf, as for the aggregator
        }
        cols.seq.push(m.seq);
        cols.pos.push(position);
        cols.shard.push(shard);
        cols.tenant.push(event.tenant);
        cols.id.push(Buffer.from(event.eventId));
        cols.kind.push(kindCode(event.kind));
        const data = Buffer.from(encodeImprint(event.data));
        cols.data.push(data);
        cols.to.push(event.toTenant);
        cols.received.push(event.receivedAt);
        cols.canonical.push(Buffer.from(bytes));
        cols.leaf.push(Buffer.from(eventLeafHash(this.#o.hasher, bytes)));
        const add = (imprint: Buffer, role: string) => {
          imprints.imprint.push(imprint);
          imprints.role.push(role);
          imprints.seq.push(m.seq);
          imprints.pos.push(position);
        };
        add(data, 'data');
        for (const i of event.inputs) add(Buffer.from(encodeImprint(i)), 'input');
        for (const o of event.outputs) add(Buffer.from(encodeImprint(o)), 'output');
      });
    }
    const last = messages.at(-1)?.seq ?? 0;
    await inTransaction(this.#o.pool, async (db) => {
      if (cols.seq.length > 0) {
        await db.query(
          `INSERT INTO ${SCHEMA}.events (stream_seq, position, shard, tenant, event_id, kind, data, to_tenant,
             received_at_us, canonical, leaf_hash)
           SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::bytea[], $6::smallint[],
             $7::bytea[], $8::text[], $9::bigint[], $10::bytea[], $11::bytea[])
           ON CONFLICT DO NOTHING`,
          [
            cols.seq,
            cols.pos,
            cols.shard,
            cols.tenant,
            cols.id,
            cols.kind,
            cols.data,
            cols.to,
            cols.received,
            cols.canonical,
            cols.leaf,
          ],
        );
        await db.query(
          `INSERT INTO ${SCHEMA}.event_imprints (imprint, role, stream_seq, position)
           SELECT * FROM unnest($1::bytea[], $2::text[], $3::bigint[], $4::int[]) ON CONFLICT DO NOTHING`,
          [imprints.imprint, imprints.role, imprints.seq, imprints.pos],
        );
      }
      await setCursor(db, 'events', last);
    });
    this.#o.metrics?.eventsApplied.inc(cols.seq.length);
  }

  /** Whether every message up to `seq` of a stream is applied, or the stream has nothing more. */
  async #covered(key: StreamKey, seq: number): Promise<boolean> {
    const pump = this.#pumps.get(key);
    if (pump === undefined) return false;
    if (pump.cursor >= seq) return true;
    if (pump.held.length > 0) return false;
    const info = await pump.consumer.info();
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }

  /** Applies one ShardSealed; false when the events it covers are not applied yet. */
  async #applySeal(m: JsMsg): Promise<boolean> {
    const stream = streamNamesFor(this.#o.prefix).seals;
    let record: SealRecord;
    let bytes: Uint8Array;
    try {
      const message = streamV1.ShardSealed.decode(m.data);
      if (message.version !== 1) throw new Error(`unknown ShardSealed version ${message.version}`);
      bytes = message.seal;
      record = decodeSeal(bytes);
      if (record.shard !== shardOfSubject(m.subject))
        throw new Error(`seal of shard ${record.shard} on ${m.subject}`);
    } catch (error: unknown) {
      await this.#recordOnly(m.seq, 'seals', {
        kind: Kind.INTEGRITY_FAILURE_KIND_MALFORMED_MESSAGE,
        source: stream,
        seq: m.seq,
        shard: 0,
        number: 0,
        detail: `undecodable seal message: ${(error as Error).message}`,
      });
      return true;
    }
    if (!(await this.#covered('events', record.streamEnd - 1))) return false;
    const failures: Failure[] = [];
    await inTransaction(this.#o.pool, async (db) => {
      const { rows } = await db.query(
        `SELECT leaf_hash, received_at_us FROM ${SCHEMA}.events
         WHERE shard = $1::int4 AND stream_seq >= $2::int8 AND stream_seq < $3::int8 ORDER BY stream_seq, position`,
        [record.shard, record.streamStart, record.streamEnd],
      );
      const checked = checkSeal(
        this.#o.hasher,
        record,
        rows.map((r) => ({
          leafHash: toBytes(r.leaf_hash, 'leaf_hash'),
          receivedAt: toSafeInteger(r.received_at_us, 'received_at_us'),
        })),
      );
      await db.query(
        `INSERT INTO ${SCHEMA}.seals (stream_seq, shard, seal_number, record, stream_start, stream_end, leaf_count,
           root, verified, detail) VALUES ($1::int8, $2::int8, $3::int8, $4::bytea, $5::int8, $6::int8, $7::int8, $8::bytea,
           $9::bool, $10::text) ON CONFLICT DO NOTHING`,
        [
          m.seq,
          record.shard,
          record.sealNumber,
          Buffer.from(bytes),
          record.streamStart,
          record.streamEnd,
          record.leafCount,
          Buffer.from(record.root),
          checked.ok,
          checked.ok ? '' : checked.detail,
        ],
      );
      if (checked.ok) {
        await db.query(
          `INSERT INTO ${SCHEMA}.seal_levels (seal_seq, level, hashes)
           SELECT $1::int8, l - 1, h FROM unnest($2::bytea[]) WITH ORDINALITY AS x(h, l) ON CONFLICT DO NOTHING`,
          [m.seq, checked.value.map((level) => Buffer.from(level))],
        );
        await db.query(
          `UPDATE ${SCHEMA}.events e SET seal_seq = $1::int8, leaf_index = t.i
           FROM (SELECT stream_seq, position, row_number() OVER (ORDER BY stream_seq, position) - 1 AS i
                 FROM ${SCHEMA}.events WHERE shard = $2::int4 AND stream_seq >= $3::int8 AND stream_seq < $4::int8) t
           WHERE e.stream_seq = t.stream_seq AND e.position = t.position AND e.seal_seq IS NULL`,
          [m.seq, record.shard, record.streamStart, record.streamEnd],
        );
      } else {
        failures.push({
          kind: Kind.INTEGRITY_FAILURE_KIND_SEAL_MISMATCH,
          source: stream,
          seq: m.seq,
          shard: record.shard,
          number: record.sealNumber,
          detail: `seal ${record.shard}/${record.sealNumber}: ${checked.detail}`,
        });
      }
      await insertFailures(db, failures);
      await setCursor(db, 'seals', m.seq);
    });
    this.#o.metrics?.sealsApplied.inc({ verified: String(failures.length === 0) });
    this.#announce(failures);
    return true;
  }

  /**
   * Applies one RoundAnchored, judged by core followRound against the calendar followed so far
   * (every rule of docs/PROOFS.md §6) plus what only the projection can check (each seal published in
   * the round's seal range); false when the seals it covers are not applied yet. A round that is not
   * round k = size (or does not parse) is a failure and is not appended; any other round is appended
   * whatever it breaks (so later checkpoints are still checked), marked verified only without a
   * failure. Round rules broken → one ROUND_MISMATCH, checkpoint rules → one CHECKPOINT_INVALID.
   */
  async #applyRound(m: JsMsg): Promise<boolean> {
    const stream = streamNamesFor(this.#o.prefix).rounds;
    let message: streamV1.RoundAnchored;
    try {
      message = streamV1.RoundAnchored.decode(m.data);
      if (message.version !== 1) throw new Error(`unknown RoundAnchored version ${message.version}`);
    } catch (error: unknown) {
      await this.#recordOnly(m.seq, 'rounds', {
        kind: Kind.INTEGRITY_FAILURE_KIND_MALFORMED_MESSAGE,
        source: stream,
        seq: m.seq,
        shard: 0,
        number: 0,
        detail: `undecodable round message: ${(error as Error).message}`,
      });
      return true;
    }
    const k = this.#calendar.size;
    const roundFailure = (kind: verifierV1.IntegrityFailureKind, details: readonly string[]): Failure => ({
      kind,
      source: stream,
      seq: m.seq,
      shard: 0,
      number: k,
      detail: `round ${k}: ${details.join('; ')}`,
    });
    const followed = followRound(this.#o.hasher, this.#calendar, message, {
      logKey: this.#o.calendarKey,
      ed25519: this.#o.ed25519,
    });
    if (followed.kind === 'not-followed') {
      await this.#recordOnly(
        m.seq,
        'rounds',
        roundFailure(Kind.INTEGRITY_FAILURE_KIND_ROUND_MISMATCH, followed.violations.map(describe)),
      );
      return true;
    }
    const { record, state: next } = followed;
    if (record.sealsEnd > 0 && !(await this.#covered('seals', record.sealsEnd - 1))) return false;
    const checkpointRules = followed.violations.filter((v) => CHECKPOINT_VIOLATIONS.includes(v.code));
    const roundRules = followed.violations.filter((v) => !CHECKPOINT_VIOLATIONS.includes(v.code));
    const failures: Failure[] = [];
    await inTransaction(this.#o.pool, async (db) => {
      const { rows } = await db.query(
        `SELECT stream_seq, record FROM ${SCHEMA}.seals WHERE stream_seq >= $1::int8 AND stream_seq < $2::int8`,
        [record.sealsStart, record.sealsEnd],
      );
      const located = locateSeals(
        record.sealsStart,
        record.sealsEnd,
        message.seals,
        rows.map((r) => ({
          streamSeq: toSafeInteger(r.stream_seq, 'stream_seq'),
          record: toBytes(r.record, 'record'),
        })),
      );
      const roundDetails = roundRules.map(describe);
      if (located.missing > 0) {
        roundDetails.push(
          `SEAL_NOT_PUBLISHED: ${located.missing} of its seals were not published in [${record.sealsStart}, ${record.sealsEnd}) of the seal stream`,
        );
      }
      if (roundDetails.length > 0) {
        failures.push(roundFailure(Kind.INTEGRITY_FAILURE_KIND_ROUND_MISMATCH, roundDetails));
      }
      if (checkpointRules.length > 0) {
        failures.push(
          roundFailure(Kind.INTEGRITY_FAILURE_KIND_CHECKPOINT_INVALID, checkpointRules.map(describe)),
        );
      }
      const roundOk = roundDetails.length === 0;
      await db.query(
        `INSERT INTO ${SCHEMA}.rounds (k, stream_seq, record, leaf_hash, closed_at_us, seal_count, root, checkpoint,
           verified, detail) VALUES ($1::int8, $2::int8, $3::bytea, $4::bytea, $5::int8, $6::int4, $7::bytea, $8::text,
           $9::bool, $10::text)`,
        [
          k,
          m.seq,
          Buffer.from(message.round),
          Buffer.from(followed.leafHash),
          roundOk ? record.closedAt : 0,
          message.seals.length,
          Buffer.from(roundOk ? record.root : new Uint8Array(32)),
          message.checkpoint,
          failures.length === 0,
          failures.map((f) => f.detail).join('; '),
        ],
      );
      await db.query(
        `INSERT INTO ${SCHEMA}.round_seals (k, position, seal_seq, record)
         SELECT $1::int8, p - 1, s, r FROM unnest($2::bigint[], $3::bytea[]) WITH ORDINALITY AS x(s, r, p)`,
        [
          k,
          roundOk ? located.sealSeqs : message.seals.map(() => null),
          message.seals.map((s) => Buffer.from(s)),
        ],
      );
      await db.query(
        `INSERT INTO ${SCHEMA}.calendar_nodes (level, idx, hash)
         SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[]) ON CONFLICT DO NOTHING`,
        [
          followed.nodes.map((n) => n.level),
          followed.nodes.map((n) => n.index),
          followed.nodes.map((n) => Buffer.from(n.hash)),
        ],
      );
      if (followed.checkpoint !== undefined) {
        await db.query(
          `INSERT INTO ${SCHEMA}.checkpoints (size, root, note) VALUES ($1::int8, $2::bytea, $3::text)`,
          [next.size, Buffer.from(next.range.root()), message.checkpoint],
        );
      }
      await db.query(
        `UPDATE ${SCHEMA}.calendar_state SET size = $1::int8, root = $2::bytea, range_hashes = $3::bytea,
           origin = $4::text, follower = $5::bytea`,
        [
          next.size,
          Buffer.from(next.range.root()),
          Buffer.from(packCompactRange(next.range)),
          next.origin,
          Buffer.from(packFollowerState(next)),
        ],
      );
      await insertFailures(db, failures);
      await setCursor(db, 'rounds', m.seq);
    });
    this.#o.metrics?.roundsApplied.inc({ verified: String(failures.length === 0) });
    if (followed.checkpoint !== undefined) this.#o.metrics?.checkpointsApplied.inc();
    this.#calendar = next;
    this.#announce(failures);
    return true;
  }

  /**
   * Applies one CheckpointCosigned; false while the checkpoint of its size is not applied yet. Its
   * body must be the verified checkpoint's (else a fork: an integrity failure); per size, the note
   * with the most cosignature lines is kept.
   */
  async #applyCosigned(m: JsMsg): Promise<boolean> {
    const stream = streamNamesFor(this.#o.prefix).checkpoints;
    const failure = (kind: verifierV1.IntegrityFailureKind, number: number, detail: string): Failure => ({
      kind,
      source: stream,
      seq: m.seq,
      shard: 0,
      number,
      detail,
    });
    let message: streamV1.CheckpointCosigned;
    let size: number;
    try {
      message = streamV1.CheckpointCosigned.decode(m.data);
      if (message.version !== 1) throw new Error(`unknown CheckpointCosigned version ${message.version}`);
      if (message.size > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`size ${message.size} too large`);
      size = Number(message.size);
    } catch (error: unknown) {
      await this.#recordOnly(
        m.seq,
        'checkpoints',
        failure(
          Kind.INTEGRITY_FAILURE_KIND_MALFORMED_MESSAGE,
          0,
          `undecodable cosigned checkpoint: ${(error as Error).message}`,
        ),
      );
      return true;
    }
    if (size > this.#calendar.size) {
      if (!(await this.#covered('rounds', Number.MAX_SAFE_INTEGER))) return false;
      const publishedMs = Math.floor(m.info.timestampNanos / 1_000_000);
      if (this.#o.now() - publishedMs < COSIGNED_GRACE_MS) return false;
    }
    const { rows } = await this.#o.pool.query(
      `SELECT note FROM ${SCHEMA}.checkpoints WHERE size = $1::int8`,
      [size],
    );
    const verified = rows[0] === undefined ? undefined : toText(rows[0].note, 'note');
    const checked = checkCosigned(
      size,
      message.checkpoint,
      verified,
      this.#o.calendarKey,
      this.#o.witnessKeys ?? [],
      this.#o.ed25519,
    );
    if (!checked.ok) {
      await this.#recordOnly(
        m.seq,
        'checkpoints',
        failure(Kind.INTEGRITY_FAILURE_KIND_CHECKPOINT_INVALID, size, checked.detail),
      );
      return true;
    }
    const { note, cosignatureCount, dropped } = checked.value;
    if (dropped > 0) {
      this.#o.log.warn('dropped cosignature lines that do not verify', { size, dropped, seq: m.seq });
    }
    let stored = false;
    await inTransaction(this.#o.pool, async (db) => {
      if (cosignatureCount > 0) {
        const result = await db.query(
          `INSERT INTO ${SCHEMA}.cosigned_checkpoints (size, note, cosignature_count) VALUES ($1::int8, $2::text, $3::int4)
           ON CONFLICT (size) DO UPDATE SET note = excluded.note, cosignature_count = excluded.cosignature_count
           WHERE ${SCHEMA}.cosigned_checkpoints.cosignature_count < excluded.cosignature_count`,
          [size, note, cosignatureCount],
        );
        stored = (result.rowCount ?? 0) > 0;
      }
      await setCursor(db, 'checkpoints', m.seq);
    });
    this.#o.metrics?.cosignedApplied.inc({ stored: String(stored) });
    return true;
  }

  async #recordOnly(seq: number, key: StreamKey, failure: Failure): Promise<void> {
    await inTransaction(this.#o.pool, async (db) => {
      await insertFailures(db, [failure]);
      await setCursor(db, key, seq);
    });
    this.#announce([failure]);
  }

  #announce(failures: readonly Failure[]): void {
    for (const failure of failures) {
      this.#o.log.warn('integrity failure', { ...failure });
      publishFailure(this.#o.nc, this.#o.prefix, failure, this.#o.now());
      this.#o.onFailure?.(failure);
    }
  }
}

async function setCursor(db: PoolClient, key: StreamKey, seq: number): Promise<void> {
  await db.query(
    `UPDATE ${SCHEMA}.cursors SET last_seq = greatest(last_seq, $2::int8) WHERE stream = $1::text`,
    [key, seq],
  );
}

/** Records failures (idempotent: a rebuild finds the same ones again). */
export async function insertFailures(db: PoolClient | Pool, failures: readonly Failure[]): Promise<void> {
  for (const f of failures) {
    await db.query(
      `INSERT INTO ${SCHEMA}.integrity_failures (source, seq, kind, shard, number, detail)
       VALUES ($1::text, $2::int8, $3::int2, $4::int8, $5::int8, $6::text) ON CONFLICT DO NOTHING`,
      [f.source, f.seq, f.kind, f.shard, f.number, f.detail],
    );
  }
}

/** A broken rule as a failure's detail names it. */
const describe = (violation: FollowViolation): string => `${violation.code}: ${violation.message}`;

/**
 * The follower state of a projection written before the `follower` column (migration 3): the stored
 * compact range and origin, and closed_at, seals_end and interval_ms of the last round (each stored
 * round record decoded then; unknown fields are not judged for the next round).
 */
function legacyFollower(
  hasher: MerkleHasher,
  row: { size: unknown; range_hashes: unknown; origin: unknown; last_record: unknown },
): FollowerState {
  const size = toSafeInteger(row.size, 'size');
  if (size === 0) return { ...emptyFollowerState(hasher), origin: String(row.origin) };
  let last: ReturnType<typeof decodeRound> | undefined;
  try {
    last = decodeRound(toBytes(row.last_record, 'last_record'));
  } catch {
    last = undefined;
  }
  return {
    size,
    range: unpackCompactRange(hasher, size, toBytes(row.range_hashes, 'range_hashes')),
    lastClosedAt: last?.closedAt ?? null,
    sealsEnd: last?.sealsEnd ?? null,
    intervalMs: last?.intervalMs ?? null,
    origin: String(row.origin),
  };
}
