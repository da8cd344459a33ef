import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type RoundSeal, verifierKeyOf } from '@msi/core';
import { portableHasher } from '@msi/merkle';
import {
  connectNats,
  defaultStreamSettings,
  ensureStreams,
  publishDurable,
  type StreamNames,
  type Subjects,
  streamNamesFor,
  subjectsFor,
} from '@msi/nats';
import { createPool, type Pool } from '@msi/postgres';
import { createLogger } from '@msi/service-kit';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  eventually,
  type FreshDatabase,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Calendar, type RoundOutcome } from './calendar.js';
import { prepareDatabase } from './calendar-repository.js';
import { type RunningCalendar, runCalendar } from './calendar-runner.js';
import { shardSealed, testKey } from './fixtures.test-helper.js';
import { SCHEMA } from './schema.js';

/** Integration-test support: a namespace (prefix, fresh database), calendars in-process and as processes. */
export interface Namespace {
  readonly prefix: string;
  readonly subjects: Subjects;
  readonly streams: StreamNames;
  readonly natsUrl: string;
  readonly adminUrl: string;
  readonly db: FreshDatabase;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** A pool on the fresh database as the superuser (the owner). */
  readonly pool: Pool;
  /**
   * A copy of the namespace's database (CREATE DATABASE … TEMPLATE), as a restored backup would be.
   * Every session on the source is ended first (a template must have none); the copy is dropped by cleanup.
   */
  copyDatabase(): Promise<FreshDatabase>;
  cleanup(): Promise<void>;
}

export async function openNamespace(): Promise<Namespace> {
  const { natsUrl, databaseUrl } = testServerUrls();
  const prefix = uniquePrefix();
  const db = await createFreshDatabase(databaseUrl, 'calendar');
  const nc = await connectNats({ servers: natsUrl, name: `calendar-test-${prefix}` });
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, prefix, defaultStreamSettings);
  const pool = createPool({ connectionString: db.url, max: 4 });
  const extraDatabases: FreshDatabase[] = [];
  return {
    prefix,
    subjects: subjectsFor(prefix),
    streams: streamNamesFor(prefix),
    natsUrl,
    adminUrl: databaseUrl,
    db,
    nc,
    js: jetstream(nc),
    jsm,
    pool,
    async copyDatabase() {
      const name = `${db.name}_copy${extraDatabases.length}`;
      const admin = createPool({ connectionString: databaseUrl, max: 1 });
      try {
        await eventually('the template database to be free', async () => {
          await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
            db.name,
          ]);
          try {
            await admin.query(`CREATE DATABASE ${name} TEMPLATE ${db.name}`);
            return true;
          } catch {
            return undefined;
          }
        });
      } finally {
        await admin.end();
      }
      const url = new URL(databaseUrl);
      url.pathname = `/${name}`;
      const copy: FreshDatabase = {
        url: url.toString(),
        name,
        drop: () => dropDatabase(databaseUrl, name),
      };
      extraDatabases.push(copy);
      return copy;
    },
    async cleanup() {
      await pool.end().catch(() => {});
      await nc.close().catch(() => {});
      await deleteNatsNamespace(natsUrl, prefix).catch(() => {});
      await db.drop().catch(() => {});
      for (const extra of extraDatabases) await extra.drop().catch(() => {});
    },
  };
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = createPool({ connectionString: adminUrl, max: 1 });
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Publishes a ShardSealed for `seal` on its shard's seal subject; returns the stream sequence. */
export async function publishSeal(ns: Namespace, seal: RoundSeal): Promise<number> {
  const ack = await publishDurable(ns.js, ns.subjects.seals(seal.record.shard), shardSealed(seal), {
    msgID: `seal-${seal.record.shard}-${seal.record.sealNumber}-${Math.random()}`,
    timeoutMs: 2000,
    attempts: 3,
  });
  return ack.seq;
}

/** Every stored round: k, closed_at, seal range, writer. */
export async function storedRounds(pool: Pool) {
  const { rows } = await pool.query(
    `SELECT k, closed_at_us, seals_start, seals_end, seal_count, writer, replayed, record
     FROM ${SCHEMA}.rounds ORDER BY k`,
  );
  return rows.map((row) => ({
    k: Number(row.k),
    closedAt: Number(row.closed_at_us),
    sealsStart: Number(row.seals_start),
    sealsEnd: Number(row.seals_end),
    sealCount: Number(row.seal_count),
    writer: String(row.writer),
    replayed: Boolean(row.replayed),
    record: new Uint8Array(row.record),
  }));
}

export async function calendarSizeOf(pool: Pool): Promise<number> {
  const { rows } = await pool.query(`SELECT size FROM ${SCHEMA}.calendar_writer`);
  return Number(rows[0]?.size ?? 0);
}

export const logKey = testKey('calendar.test/log', 11);

/** A calendar running in this process against the namespace (its own pool, closed by stop). */
export async function startInProcess(
  ns: Namespace,
  options: {
    intervalMs: number;
    instanceId: string;
    leaseMs?: number;
    databaseUrl?: string;
    appRole?: string;
    onRound?: (outcome: RoundOutcome) => void;
  },
): Promise<{ running: RunningCalendar; calendar: Calendar; stop(): Promise<void> }> {
  const identity = {
    origin: logKey.signer.name,
    intervalMs: options.intervalMs,
    verifierKey: verifierKeyOf(logKey.signer),
  };
  await prepareDatabase(ns.pool, options.appRole ?? 'msi_calendar_app', {
    origin: identity.origin,
    intervalMs: identity.intervalMs,
    verifierKey: logKey.verifierKey,
  });
  const pool = createPool({ connectionString: options.databaseUrl ?? ns.db.url, max: 3 });
  const log = createLogger({ service: 'calendar', level: 'warn', write: () => {} });
  const calendar = new Calendar({
    pool,
    js: ns.js,
    jsm: ns.jsm,
    subjects: ns.subjects,
    streams: ns.streams,
    hasher: portableHasher(),
    signer: logKey.signer,
    identity,
    instanceId: options.instanceId,
    leaseMs: options.leaseMs ?? 5 * options.intervalMs,
    publishTimeoutMs: 2000,
    nowMs: Date.now,
    log,
  });
  const running = runCalendar(calendar, {
    intervalMs: options.intervalMs,
    nowMs: Date.now,
    log,
    ...(options.onRound === undefined ? {} : { onRound: options.onRound }),
  });
  return {
    running,
    calendar,
    async stop() {
      await running.stop();
      await pool.end();
    },
  };
}

/** A calendar process (`node services/calendar/dist/main.js`) with its output kept for assertions. */
export interface CalendarProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Log lines (parsed JSON) so far. */
  readonly lines: () => Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnCalendar(env: Record<string, string>): CalendarProcess {
  const main = join(repositoryRoot(), 'services', 'calendar', 'dist', 'main.js');
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    lines: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** The environment of a calendar process in the namespace. */
export function processEnv(
  ns: Namespace,
  options: {
    intervalMs: number;
    instanceId: string;
    leaseMs: number;
    databaseUrl?: string;
    signingKey?: string;
  },
): Record<string, string> {
  return {
    MSI_NATS_URL: ns.natsUrl,
    MSI_PREFIX: ns.prefix,
    MSI_ROUND_INTERVAL_MS: String(options.intervalMs),
    MSI_DATABASE_URL: options.databaseUrl ?? ns.db.url,
    MSI_CALENDAR_SIGNING_KEY: options.signingKey ?? logKey.signerKey,
    MSI_CALENDAR_INSTANCE_ID: options.instanceId,
    MSI_CALENDAR_LEASE_MS: String(options.leaseMs),
    MSI_LOG_LEVEL: 'info',
  };
}
