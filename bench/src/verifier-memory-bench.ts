// The verifier's memory benchmark: `pnpm bench:verifier-memory [--events N]` (node --expose-gc).
// What the verifier's two in-memory holders of event rows really cost per event, against what
// each counts against its byte budget: the projection's recent rows (RecentEventRows, 64 MiB, for
// checking seals without reading their events back) and the receipt cache's hot index (ReceiptCache,
// MSI_VERIFIER_RECEIPT_CACHE_MIB), fed as the verifier feeds it: with the rows of sealed ranges,
// taken from the recent rows. Rows are made by the projector's own eventRowsOf from EventBatch
// messages of 1,000 events (ACCESS events of ~200 canonical bytes); the heap (used heap plus
// ArrayBuffer memory, after full GCs) is read before and after, once the messages are dropped, as
// the pump drops them.
import { randomBytes } from 'node:crypto';
import { encodeEvent, imprintOf, mintUuidV7 } from '@msi/core';
import { createWasmHasherSync } from '@msi/hash-wasm';
import { streamV1 } from '@msi/proto';
import type { PumpMessage } from '@msi/service-kit';
import { eventRowsOf, ReceiptCache, RecentEventRows } from '@msi/verifier';
import { formatRatio, runSection } from './harness.js';

const eventsArg = process.argv.indexOf('--events');
const EVENTS = eventsArg > 0 ? Number(process.argv[eventsArg + 1]) : 100_000;
if (!Number.isInteger(EVENTS) || EVENTS < 1000) throw new Error('--events takes an integer ≥ 1000');
const PER_MESSAGE = 1000;
/** Messages per projector group (its GROUP.events). */
const GROUP = 64;
const T = 1_748_736_000_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (pnpm bench:verifier-memory does)');

function held(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function messages(count: number): PumpMessage[] {
  return Array.from({ length: count }, (_, s) => {
    const events = Array.from({ length: PER_MESSAGE }, (_, i) =>
      encodeEvent({
        tenant: 'bench',
        eventId: mintUuidV7(T + s, randomBytes(16)),
        kind: 'ACCESS',
        data: imprintOf('sha256', randomBytes(8)),
        inputs: [],
        outputs: [],
        toTenant: '',
        actor: 'analyst-7',
        submitter: 'loadgen',
        source: { system: 'warehouse', region: 'eu-west-1', host: 'wh-3' },
        destination: { system: '', region: '', host: '' },
        occurredAt: T * 1000,
        receivedAt: T * 1000 + s * PER_MESSAGE + i,
        parents: [],
        attributes: [
          { key: 'classification', value: 'pii' },
          { key: 'purpose', value: 'reporting' },
        ],
        nonce: randomBytes(16),
      }),
    );
    const data = Buffer.from(
      streamV1.EventBatch.encode({
        version: 1,
        shard: 0,
        batchId: `b-${s}`,
        events: events.map((e) => Buffer.from(e)),
      }).finish(),
    );
    return { seq: s + 1, subject: 'bench.events.0', data, storedAtUs: 0 };
  });
}

interface Holders {
  readonly recent: RecentEventRows;
  readonly cache: ReceiptCache | undefined;
}

/** Feeds the holders as the projector does, group by group; returns the canonical bytes seen. */
function feed(all: PumpMessage[], holders: Holders): number {
  const hasher = createWasmHasherSync();
  let canonical = 0;
  for (let g = 0; g < all.length; g += GROUP) {
    const group = all.slice(g, g + GROUP);
    const rows = eventRowsOf(hasher, group);
    for (let i = 0; i < rows.seq.length; i++) canonical += rows.canonical.at(i)?.length ?? 0;
    holders.recent.record(
      group.map((m) => m.seq),
      rows,
    );
    const covered = holders.recent.covered({
      shard: 0,
      streamStart: group[0]?.seq ?? 0,
      streamEnd: (group.at(-1)?.seq ?? 0) + 1,
    });
    holders.cache?.rememberSealed(
      (covered ?? []).map((r, leaf) => ({
        eventId: r.eventId,
        row: {
          streamSeq: r.streamSeq,
          position: r.position,
          tenant: r.tenant,
          canonical: r.canonical,
          sealSeq: 1,
          leafIndex: leaf,
        },
      })),
    );
  }
  return canonical;
}

/** Bytes per event held, and counted, by the holders `make` gives (budgets too large to evict). */
async function measureHolders(
  make: () => Holders,
): Promise<{ measured: number; counted: number; canonical: number }> {
  let all: PumpMessage[] | undefined = messages(EVENTS / PER_MESSAGE);
  const messageBytes = all.reduce((sum, m) => sum + m.data.byteLength, 0);
  const before = held();
  const holders = make();
  const canonical = feed(all, holders);
  all = undefined;
  await new Promise((resolve) => setTimeout(resolve, 10)); // off the stack that held the last group
  const after = held();
  const counted = holders.recent.bytes + (holders.cache?.bytes ?? 0);
  return {
    measured: (after - before + messageBytes) / EVENTS,
    counted: counted / EVENTS,
    canonical: canonical / EVENTS,
  };
}

await runSection(
  `Verifier memory per event held (${EVENTS.toLocaleString('en-US')} events)`,
  async (section) => {
    const huge = 2 ** 40;
    for (const [name, make] of [
      ['recent rows (RecentEventRows)', () => ({ recent: new RecentEventRows(huge), cache: undefined })],
      [
        'recent rows + hot index (ReceiptCache)',
        () => ({ recent: new RecentEventRows(huge), cache: new ReceiptCache({ bytes: huge }) }),
      ],
    ] as const) {
      const r = await measureHolders(make);
      section.add({
        holder: name,
        'canonical B/event': r.canonical.toFixed(0),
        'held B/event': r.measured.toFixed(0),
        'counted B/event': r.counted.toFixed(0),
        'counted / held': formatRatio(r.counted / r.measured),
      });
    }
    section.note(
      'held = growth of V8 used heap + ArrayBuffer memory after full GCs, the messages dropped (their bytes added back); counted = what the holders charge their budgets. Counted / held below 1x means a budget of B MiB holds more than B MiB.',
    );
  },
);
