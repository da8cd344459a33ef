import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { eventV1 } from '@msi/proto';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { CONNECTION_FLAGS, connectionFlagsOf, ingestConnection } from './config.js';
import { buildEvent, type EventContext, type EventSpec, eventSpecFromJson } from './event-spec.js';
import { ackLine } from './format-ack.js';
import { imprintOfFile } from './hash-file.js';
import { type IngestSession, openIngestSession } from './ingest-connection.js';
import { booleanFlag, type ParsedFlags, parseFlags, stringFlag, stringsFlag } from './parse-flags.js';
import { parseCount } from './trust-options.js';

const HELP = `Usage: msi emit --kind KIND (--data IMPRINT | --data-file PATH) --actor NAME [options]
       msi emit --jsonl FILE|-  [connection options]

Submits data-transaction events to ingest and prints one JSON ack per event on stdout:
{"eventId", "durable": true, "leafHash", "shard", "expectedRound", "duplicate"} or
{"eventId", "failed": true, "code", "message"} (retry a failed event with the same "event-id").
Event ids are minted here (UUIDv7). --data-file hashes the file locally (sha256): the data never
leaves this machine, only its imprint does.

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

Connection options:
  --server HOST:PORT     ingest's address (default: $MSI_INGEST_ADDRESS)
  --api-key KEY          the emitter's API key (default: $MSI_API_KEY)
  --insecure             plaintext, for a development ingest
  --ca FILE              the CA that signed ingest's certificate (default: the system roots)
  -h, --help             this help

Exit status: 0 all durable, 2 usage or input error, 3 server unreachable or some events not durable.`;

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

export const emitCommand: Command = {
  name: 'emit',
  summary: 'submit events (from flags or JSON lines) to ingest; acks as JSON lines',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('emit', args, {
      ...EVENT_FLAGS,
      jsonl: { type: 'string' },
      'batch-size': { type: 'string' },
      ...CONNECTION_FLAGS,
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    if (flags.positionals.length > 0) {
      throw new CliError('USAGE', `msi emit takes no arguments, got "${flags.positionals[0]}" (see --help)`);
    }
    const connection = ingestConnection(connectionFlagsOf(flags), io.env);
    const batchSize = batchSizeOf(flags);
    const context = (): EventContext => ({
      nowMs: io.now(),
      random16: () => globalThis.crypto.getRandomValues(new Uint8Array(16)),
    });
    const jsonl = stringFlag(flags, 'jsonl');
    if (jsonl !== undefined && Object.keys(EVENT_FLAGS).some((name) => flags.values[name] !== undefined)) {
      throw new CliError('USAGE', '--jsonl takes the events from the file: give no event options with it');
    }
    const session = await openIngestSession(connection);
    try {
      const emitter = new Emitter(session, io);
      if (jsonl === undefined) {
        const event = await resolveEvent(specFromFlags(flags), context(), 'msi emit');
        await emitter.submit([event], undefined);
      } else {
        await emitJsonLines(jsonl, io, batchSize, context, emitter);
      }
      return emitter.failed > 0 ? EXIT.unavailable : EXIT.ok;
    } finally {
      session.close();
    }
  },
};

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

async function resolveEvent(
  spec: EventSpec,
  context: EventContext,
  where: string,
): Promise<eventV1.DataEvent> {
  if (spec.data !== undefined && spec.dataFile !== undefined) {
    throw new CliError('INPUT', `${where}: give data or data-file, not both`);
  }
  const data = spec.dataFile === undefined ? undefined : await imprintOfFile(spec.dataFile);
  return buildEvent(spec, data, context, where);
}

async function emitJsonLines(
  path: string,
  io: CliIo,
  batchSize: number,
  context: () => EventContext,
  emitter: Emitter,
): Promise<void> {
  const input: Readable = path === '-' ? io.stdin() : createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let batch: eventV1.DataEvent[] = [];
  let firstLine = 0;
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
      if (batch.length === 0) firstLine = lineNumber;
      batch.push(await resolveEvent(eventSpecFromJson(value, where), context(), where));
      if (batch.length >= batchSize) {
        await emitter.submit(batch, `lines ${firstLine}-${lineNumber}`);
        batch = [];
      }
    }
  } catch (error: unknown) {
    if (error instanceof CliError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError('INPUT', `cannot read ${path === '-' ? 'standard input' : path}: ${reason}`, {
      cause: error,
    });
  }
  if (batch.length > 0) await emitter.submit(batch, `lines ${firstLine}-${lineNumber}`);
}

/** Submits batches, prints their acks and counts the outcomes (progress on stderr for files). */
class Emitter {
  durable = 0;
  failed = 0;
  constructor(
    private readonly session: IngestSession,
    private readonly io: CliIo,
  ) {}

  async submit(events: eventV1.DataEvent[], lines: string | undefined): Promise<void> {
    let acks: Awaited<ReturnType<IngestSession['submitBatch']>>;
    try {
      acks = await this.session.submitBatch(events);
    } catch (error: unknown) {
      if (error instanceof CliError && lines !== undefined) {
        throw new CliError(error.code, `${lines}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    const out: string[] = [];
    for (const ack of acks) {
      const line = ackLine(ack);
      if ('durable' in line) this.durable++;
      else this.failed++;
      out.push(JSON.stringify(line));
    }
    this.io.out(`${out.join('\n')}\n`);
    if (lines !== undefined) {
      this.io.err(
        `msi emit: ${this.durable + this.failed} events submitted, ${this.durable} durable, ${this.failed} failed\n`,
      );
    }
  }
}
