import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  createClient,
  type Emitted,
  type EventInput,
  type MsiClient,
  MsiClientError,
  writeTreeReceipts,
} from '@msi/client';
import { formatUuid, mintUuidV7, parseUuid } from '@msi/core';
import { bytesToHex } from '@noble/hashes/utils.js';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { CONNECTION_FLAGS, connectionFlagsOf, ingestConnection, verifierAddressOf } from './config.js';
import { type EventSpec, eventInputOf, eventSpecFromJson } from './event-spec.js';
import type { AckLine } from './format-ack.js';
import { imprintOfFile } from './hash-file.js';
import { booleanFlag, type ParsedFlags, parseFlags, stringFlag, stringsFlag } from './parse-flags.js';
import { parseCount } from './trust-options.js';

const HELP = `Usage: msi emit --kind KIND (--data IMPRINT | --data-file PATH) --actor NAME [options]
       msi emit --jsonl FILE|-  [options]

Submits data-transaction events to ingest with @msi/client and prints one JSON line per event on
stdout: {"eventId", "durable": true, "leafHash", "shard", "expectedRound", "duplicate"}, or, with
--aggregate, {"eventId", "aggregated": true, "tree", "index"}, or {"eventId", "failed": true, "code",
"message"} for an event that did not become durable in time. Failed submissions are retried with the
same event id (ingest deduplicates them). Event ids are minted here (UUIDv7). --data-file hashes the
file locally (sha256): the data never leaves this machine, only its imprint does.

Event options:
  --kind KIND            STORE, ACCESS, TRANSFER, PROCESS, DELETE or STATE
  --data IMPRINT         the data's imprint, e.g. sha256:<64 hex digits>
  --data-file PATH       hash this file for the data imprint instead
  --actor NAME           who acted (a claim)
  --source S/R/H         where the data came from: system/region/host
  --destination S/R/H    where the data went
  --to-tenant TENANT     TRANSFER to another tenant
  --input IMPRINT        PROCESS: data read (repeatable)
  --output IMPRINT       PROCESS: data produced (repeatable)
  --attr KEY=VALUE       an attribute (repeatable)
  --parent UUID          an event this one follows from (repeatable)
  --event-id UUID        reuse an event id (retrying); minted when absent
  --occurred-at ISO8601  when it happened (default: now)
  --jsonl FILE|-         events from a JSON-lines file or standard input, one object per line, members
                         named as the long options above ("data-file", "to-tenant", ...); "input",
                         "output", "attr", "parent" take a string or an array ("attr" also an object)
  --batch-size N         events per SubmitBatch (default 500, at most 1000)

Aggregation and receipts:
  --aggregate            aggregate the events locally (docs/PROOFS.md §12): they are hashed into local
                         trees here and only each tree's root event reaches ingest; needs --receipts-dir
  --receipts-dir DIR     wait until every event is anchored and write its receipt into DIR as
                         <event id>.json (receipt v2 for aggregated events: msi verify takes it); the
                         local trees are kept in DIR/.msi-store (delete it once the receipts are safe)
  --verifier HOST:PORT   the verifier's address, where receipts come from (default: $MSI_VERIFIER_ADDRESS);
                         the API key needs the auditor role too
  --key VERIFIER_KEY     the calendar's key: each receipt is verified with it before it is written
                         (repeatable; without, every proof is checked but not the signature)
  --timeout SECONDS      how long to wait for anchoring (default 300)
  --retry-for SECONDS    how long an event that is not durable is retried, with the same id, before it
                         is reported failed (default 30)

Connection options:
  --server HOST:PORT     ingest's address (default: $MSI_INGEST_ADDRESS)
  --api-key KEY          the emitter's API key (default: $MSI_API_KEY)
  --insecure             plaintext, for a development ingest
  --ca FILE              the CA that signed the servers' certificates (default: the system roots)
  -h, --help             this help

Exit status: 0 all durable (and every receipt written), 2 usage or input error, 3 server unreachable,
some events not durable, or not anchored in time.`;

const EVENT_FLAGS = {
  kind: { type: 'string' },
  data: { type: 'string' },
  'data-file': { type: 'string' },
  actor: { type: 'string' },
  source: { type: 'string' },
  destination: { type: 'string' },
  'to-tenant': { type: 'string' },
  input: { type: 'string', multiple: true },
  output: { type: 'string', multiple: true },
  attr: { type: 'string', multiple: true },
  parent: { type: 'string', multiple: true },
  'event-id': { type: 'string' },
  'occurred-at': { type: 'string' },
} as const;

const DEFAULT_BATCH = 500;
const MAX_BATCH = 1000;
/** How long the CLI retries an event before it reports it failed (--retry-for). */
const GIVE_UP_MS = 30_000;

export const emitCommand: Command = {
  name: 'emit',
  summary:
    'submit events (from flags or JSON lines) to ingest, individually or aggregated; acks as JSON lines',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('emit', args, {
      ...EVENT_FLAGS,
      jsonl: { type: 'string' },
      'batch-size': { type: 'string' },
      aggregate: { type: 'boolean' },
      'receipts-dir': { type: 'string' },
      verifier: { type: 'string' },
      key: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      'retry-for': { type: 'string' },
      ...CONNECTION_FLAGS,
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    if (flags.positionals.length > 0) {
      throw new CliError('USAGE', `msi emit takes no arguments, got "${flags.positionals[0]}" (see --help)`);
    }
    const jsonl = stringFlag(flags, 'jsonl');
    if (jsonl !== undefined && Object.keys(EVENT_FLAGS).some((name) => flags.values[name] !== undefined)) {
      throw new CliError('USAGE', '--jsonl takes the events from the file: give no event options with it');
    }
    const plan = await planOf(flags, io);
    const emitter = new Emitter(plan, io, jsonl !== undefined);
    try {
      if (jsonl === undefined) {
        await emitter.emit(await resolveEvent(specFromFlags(flags), 'msi emit'), 'msi emit');
      } else {
        await emitJsonLines(jsonl, io, emitter);
      }
      await emitter.settle(undefined);
      if (emitter.failed > 0 && emitter.durable + emitter.aggregated === 0) {
        throw new CliError(
          'UNAVAILABLE',
          `cannot reach ingest at ${plan.ingestAddress}: ${emitter.firstFailure}`,
        );
      }
      if (plan.receiptsDir !== undefined && emitter.failed === 0) {
        await emitter.writeReceipts(plan.receiptsDir);
      }
    } finally {
      await emitter.close();
    }
    return emitter.failed > 0 ? EXIT.unavailable : EXIT.ok;
  },
};

/** What one run of `msi emit` does: its client, its mode, where receipts go. */
interface Plan {
  readonly client: MsiClient;
  readonly aggregate: boolean;
  readonly batchSize: number;
  readonly receiptsDir: string | undefined;
  readonly timeoutMs: number;
  readonly ingestAddress: string;
  /** Individual receipts as they arrive (with --receipts-dir). */
  readonly receipts: Map<string, string>;
}

async function planOf(flags: ParsedFlags, io: CliIo): Promise<Plan> {
  const connection = ingestConnection(connectionFlagsOf(flags), io.env);
  const aggregate = booleanFlag(flags, 'aggregate');
  const receiptsDir = stringFlag(flags, 'receipts-dir');
  if (aggregate && receiptsDir === undefined) {
    throw new CliError(
      'USAGE',
      '--aggregate needs --receipts-dir DIR: aggregated events are proven only by the receipts written there',
    );
  }
  const verifier =
    receiptsDir === undefined ? undefined : verifierAddressOf(stringFlag(flags, 'verifier'), io.env);
  const timeoutText = stringFlag(flags, 'timeout');
  const timeoutMs = timeoutText === undefined ? 300_000 : parseCount(timeoutText, '--timeout') * 1000;
  const batchSize = batchSizeOf(flags);
  const retryText = stringFlag(flags, 'retry-for');
  const giveUpAfterMs =
    retryText === undefined ? GIVE_UP_MS : Math.max(1, parseCount(retryText, '--retry-for') * 1000);
  const ca = connection.caFile === undefined ? undefined : await readCa(connection.caFile);
  const receipts = new Map<string, string>();
  const client = clientOf(() =>
    createClient({
      ingest: connection.address,
      ...(verifier === undefined ? {} : { verifier }),
      ...(connection.apiKey === undefined ? {} : { apiKey: connection.apiKey }),
      insecure: connection.insecure,
      ...(ca === undefined ? {} : { tls: { ca } }),
      batching: { maxEvents: batchSize },
      retry: { giveUpAfterMs },
      ...(aggregate ? { aggregation: {} } : {}),
      ...(receiptsDir === undefined
        ? {}
        : {
            receipts: {
              dir: join(receiptsDir, '.msi-store'),
              individual: !aggregate,
              onReceipt: (r) => receipts.set(r.eventId, r.json),
              logKeys: stringsFlag(flags, 'key'),
            },
          }),
      now: io.now,
    }),
  );
  return {
    client,
    aggregate,
    batchSize,
    receiptsDir,
    timeoutMs,
    ingestAddress: connection.address,
    receipts,
  };
}

/** The client, with its option errors as usage errors. */
function clientOf(create: () => MsiClient): MsiClient {
  try {
    return create();
  } catch (error: unknown) {
    if (error instanceof MsiClientError) throw new CliError('USAGE', error.message, { cause: error });
    throw error;
  }
}

async function readCa(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('INPUT', `cannot read --ca ${path}: ${reason}`, { cause: error });
  }
}

function batchSizeOf(flags: ParsedFlags): number {
  const text = stringFlag(flags, 'batch-size');
  if (text === undefined) return DEFAULT_BATCH;
  const size = parseCount(text, '--batch-size');
  if (size < 1 || size > MAX_BATCH) throw new CliError('USAGE', `--batch-size must be 1 to ${MAX_BATCH}`);
  return size;
}

/** The event described by the command-line flags. */
export function specFromFlags(flags: ParsedFlags): EventSpec {
  const optional = (field: keyof EventSpec, flag: string) => {
    const value = stringFlag(flags, flag);
    return value === undefined ? {} : { [field]: value };
  };
  return {
    ...optional('kind', 'kind'),
    ...optional('data', 'data'),
    ...optional('dataFile', 'data-file'),
    ...optional('actor', 'actor'),
    ...optional('source', 'source'),
    ...optional('destination', 'destination'),
    ...optional('toTenant', 'to-tenant'),
    ...optional('eventId', 'event-id'),
    ...optional('occurredAt', 'occurred-at'),
    inputs: stringsFlag(flags, 'input'),
    outputs: stringsFlag(flags, 'output'),
    attrs: stringsFlag(flags, 'attr'),
    parents: stringsFlag(flags, 'parent'),
  };
}

async function resolveEvent(spec: EventSpec, where: string): Promise<EventInput> {
  if (spec.data !== undefined && spec.dataFile !== undefined) {
    throw new CliError('INPUT', `${where}: give data or data-file, not both`);
  }
  const data = spec.dataFile === undefined ? undefined : await imprintOfFile(spec.dataFile);
  return eventInputOf(spec, data, where);
}

async function emitJsonLines(path: string, io: CliIo, emitter: Emitter): Promise<void> {
  const input: Readable = path === '-' ? io.stdin() : createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      const where = `${path === '-' ? 'stdin' : path}:${lineNumber}`;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error: unknown) {
        throw new CliError('INPUT', `${where}: not JSON: ${error instanceof Error ? error.message : error}`);
      }
      await emitter.emit(await resolveEvent(eventSpecFromJson(value, where), where), where);
    }
  } catch (error: unknown) {
    if (error instanceof CliError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('INPUT', `cannot read ${path === '-' ? 'standard input' : path}: ${reason}`, {
      cause: error,
    });
  }
}

/**
 * Emits through the client and prints each outcome in input order, and, for a file, a progress line
 * on stderr every batch. An event the client or ingest refuses stops the run (exit 2) naming its
 * line. Ids are minted here when the event has none, so that every line names its event.
 */
class Emitter {
  durable = 0;
  aggregated = 0;
  failed = 0;
  /** The message of the first event that failed, for the summary. */
  firstFailure = '';
  readonly #pending: { where: string; eventId: Uint8Array; outcome: Promise<Emitted> }[] = [];
  readonly #trees = new Set<string>();

  constructor(
    private readonly plan: Plan,
    private readonly io: CliIo,
    private readonly fromFile: boolean,
  ) {}

  async emit(event: EventInput, where: string): Promise<void> {
    const eventId =
      event.eventId === undefined
        ? mintUuidV7(this.io.now(), globalThis.crypto.getRandomValues(new Uint8Array(16)))
        : typeof event.eventId === 'string'
          ? parseUuid(event.eventId)
          : event.eventId;
    const outcome = this.plan.client.emit(
      { ...event, eventId },
      { mode: this.plan.aggregate ? 'aggregated' : 'individual' },
    );
    outcome.catch(() => {}); // settled, in order, by settle()
    this.#pending.push({ where, eventId, outcome });
    if (this.#pending.length >= 2 * this.plan.batchSize) await this.settle(this.plan.batchSize);
  }

  /** Prints the outcomes of the oldest `count` events, or of all and the last progress line. */
  async settle(count: number | undefined): Promise<void> {
    for (const { where, eventId, outcome } of this.#pending.splice(0, count ?? this.#pending.length)) {
      this.io.out(`${JSON.stringify(await this.#lineOf(where, eventId, outcome))}\n`);
      if (this.fromFile && this.#settled % this.plan.batchSize === 0) this.#progress();
    }
    if (count === undefined && this.fromFile && this.#settled % this.plan.batchSize !== 0) this.#progress();
  }

  get #settled(): number {
    return this.durable + this.aggregated + this.failed;
  }

  #progress(): void {
    const what = this.plan.aggregate ? `${this.aggregated} aggregated` : `${this.durable} durable`;
    this.io.err(`msi emit: ${this.#settled} events submitted, ${what}, ${this.failed} failed\n`);
  }

  async #lineOf(
    where: string,
    eventId: Uint8Array,
    outcome: Promise<Emitted>,
  ): Promise<AckLine | Record<string, unknown>> {
    try {
      const emitted = await outcome;
      if (emitted.mode === 'aggregated') {
        this.aggregated++;
        this.#trees.add(emitted.treeId);
        return {
          eventId: formatUuid(emitted.eventId),
          aggregated: true,
          tree: emitted.treeId,
          index: emitted.index,
        };
      }
      this.durable++;
      return {
        eventId: formatUuid(emitted.eventId),
        durable: true,
        leafHash: bytesToHex(emitted.leafHash),
        shard: emitted.shard,
        expectedRound: emitted.expectedRound,
        duplicate: emitted.duplicate,
      };
    } catch (error: unknown) {
      if (!(error instanceof MsiClientError)) throw error;
      switch (error.code) {
        case 'INVALID_EVENT':
          throw new CliError('INPUT', `${where}: ${error.message}`, { cause: error });
        case 'UNAUTHENTICATED':
          throw new CliError(
            'INPUT',
            `ingest did not accept the credentials (--api-key?): ${error.message}`,
            {
              cause: error,
            },
          );
        case 'PERMISSION_DENIED':
          throw new CliError('INPUT', `ingest refused: ${error.message}`, { cause: error });
        default:
          this.failed++;
          if (this.firstFailure === '') this.firstFailure = error.message;
          return { eventId: formatUuid(eventId), failed: true, code: error.code, message: error.message };
      }
    }
  }

  /** Waits for anchoring (at most the timeout) and writes every receipt into `dir`. */
  async writeReceipts(dir: string): Promise<void> {
    const client = this.plan.client;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CliError(
              'UNAVAILABLE',
              `not anchored within ${this.plan.timeoutMs / 1000} s (is the verifier at the --verifier address?); the local trees are kept in ${join(dir, '.msi-store')}`,
            ),
          ),
        this.plan.timeoutMs,
      );
    });
    try {
      await Promise.race([client.anchored(), timeout]);
    } catch (error: unknown) {
      if (error instanceof MsiClientError) {
        throw new CliError(error.code === 'STORE_FAILED' ? 'INPUT' : 'UNAVAILABLE', error.message, {
          cause: error,
        });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
    await mkdir(dir, { recursive: true });
    let written = 0;
    for (const treeId of this.#trees) written += await writeTreeReceipts(await client.bundle(treeId), dir);
    for (const [eventId, json] of this.plan.receipts) {
      await writeFile(join(dir, `${eventId}.json`), `${json}\n`);
      written++;
    }
    this.io.err(`msi emit: ${written} receipts written to ${dir}\n`);
  }

  async close(): Promise<void> {
    try {
      await this.plan.client.close();
    } catch (error: unknown) {
      if (!(error instanceof MsiClientError)) throw error;
      throw new CliError(
        'UNAVAILABLE',
        `cannot reach ingest at ${this.plan.ingestAddress}: ${error.message}`,
        {
          cause: error,
        },
      );
    }
  }
}
