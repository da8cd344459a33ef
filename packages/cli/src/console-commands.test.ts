// Usage of msi search, lineage, witnesses and publications against a fake verifier (the calls the
// auditor's console uses too, issue 18).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DataEvent,
  encodeImprint,
  formatImprint,
  formatPublication,
  formatUuid,
  imprintOf,
} from '@msi/core';
import { verifierV1 } from '@msi/proto';
import { eventToProto, receiptToProto } from '@msi/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCliWorld,
  COSIGN_TIME,
  logKey,
  otherLogKey,
  witnessA,
  worldEvent,
} from './cli-world.test-helper.js';
import { type FakeVerifier, startFakeVerifier } from './fake-verifier.test-helper.js';
import { runRecorded } from './memory-io.test-helper.js';

const X = imprintOf('sha256', new TextEncoder().encode('item-x'));
const Y = imprintOf('sha256', new TextEncoder().encode('item-y'));
// Event 1 is bob's; event 2 was submitted by its own actor, "gateway".
const actorEvent = (i: number): DataEvent => {
  const base = worldEvent(i);
  if (i === 1) return { ...base, actor: 'bob' };
  if (i === 2) return { ...base, actor: 'gateway' };
  return base;
};
const world = buildCliWorld(2, 2, actorEvent);
const id = (i: number) => formatUuid(worldEvent(i).eventId);

const D = verifierV1.LineageDirection;
const lineage: verifierV1.GetLineageResponse = {
  hops: [
    {
      link: {
        kind: verifierV1.LinkKind.LINK_KIND_PROCESS,
        eventId: Buffer.from(worldEvent(2).eventId),
        fromData: [Buffer.from(encodeImprint(X))],
        toData: [Buffer.from(encodeImprint(Y))],
        fromTenant: 'acme',
        toTenant: 'acme',
        source: undefined,
        destination: undefined,
      },
      depth: 1,
      round: 1n,
      anchored: true,
      direction: D.LINEAGE_DIRECTION_UPSTREAM,
    },
    {
      link: {
        kind: verifierV1.LinkKind.LINK_KIND_TRANSFER,
        eventId: Buffer.from(worldEvent(1).eventId),
        fromData: [Buffer.from(encodeImprint(X))],
        toData: [Buffer.from(encodeImprint(X))],
        fromTenant: 'acme',
        toTenant: 'beta',
        source: undefined,
        destination: undefined,
      },
      depth: 2,
      round: 0n,
      anchored: false,
      direction: D.LINEAGE_DIRECTION_UPSTREAM,
    },
  ],
  truncated: true,
};
const publicationAt = (seconds: number, size: number): verifierV1.Publication => ({
  timeUs: BigInt(seconds) * 1_000_000n,
  size: BigInt(size),
  text: formatPublication(seconds, world.checkpointAt(size)),
});
const T = COSIGN_TIME + 100;

let clean: FakeVerifier;
let lying: FakeVerifier;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-cli-console-'));
  clean = await startFakeVerifier({
    world,
    receipts: [0, 1, 2, 3].map((i) => world.receipt(i)),
    pageSize: 2,
    lineage,
    witnesses: {
      checkpointSize: 2n,
      witnesses: [
        {
          name: witnessA.signer.name,
          keyId: witnessA.signer.keyId.toString(16).padStart(8, '0'),
          cosignedSize: 1n,
          cosignedAtUs: BigInt(COSIGN_TIME) * 1_000_000n,
          lagEntries: 1n,
          lagUs: 1_000_000n,
        },
      ],
    },
    publications: [publicationAt(T + 60, 2), publicationAt(T, 1)],
  });
  // Claims event 0 (alice's) is mallory's, and lists a publication under another time than its text.
  const claimed = eventToProto(worldEvent(0));
  lying = await startFakeVerifier({
    world,
    receipts: [],
    extraEntries: [
      verifierV1.HistoryEntry.fromPartial({
        event: { ...claimed, actor: 'mallory' },
        round: 0n,
        anchored: true,
        receipt: receiptToProto(world.receipt(0)),
        role: 'actor',
      }),
    ],
    publications: [{ ...publicationAt(T, 1), timeUs: BigInt(T + 1) * 1_000_000n }],
  });
});
afterAll(async () => {
  await clean?.stop();
  await lying?.stop();
  await rm(dir, { recursive: true, force: true });
});

const at = (fake: () => FakeVerifier) => () => ['--server', fake().address, '--insecure'];
const server = at(() => clean);
const key = ['--key', logKey.verifierKey];

describe('msi search', () => {
  it('lists the actor’s events newest first over pages, each row verified', async () => {
    const run = await runRecorded(['search', '--actor', 'alice', ...server(), ...key], {
      env: { MSI_API_KEY: 'k-auditor' },
    });
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^RECEIVED\s+KIND\s+ROLE\s+TENANT\s+ACTOR\s+EVENT\s+ROUND\s+STATUS\s+DETAIL$/);
    expect(lines.slice(1, 3).map((l) => l.includes(id(3)) || l.includes(id(0)))).toEqual([true, true]);
    expect(lines[1]).toContain(id(3));
    expect(lines[1]).toMatch(/ STORE\s+actor\s+acme\s+alice\s+\S+\s+1\s+VALID/);
    expect(lines[2]).toContain(id(0));
    expect(run.stdout).not.toContain(id(1));
    expect(run.stdout).not.toContain('Lineage');
  });

  it('shows the submitter role, and both roles for an actor that submitted its own event (--json)', async () => {
    const run = await runRecorded(['search', '--actor', 'gateway', '--json', ...server(), ...key]);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as {
      actor: string;
      ok: boolean;
      entries: { eventId: string; role: string; status: string }[];
    };
    expect(out.actor).toBe('gateway');
    expect(out.ok).toBe(true);
    expect(out.entries.map((e) => [e.eventId, e.role, e.status])).toEqual([
      [id(3), 'submitter', 'VALID'],
      [id(2), 'actor,submitter', 'VALID'],
      [id(1), 'submitter', 'VALID'],
      [id(0), 'submitter', 'VALID'],
    ]);
  });

  it('marks an entry whose verified event does not name the actor, and exits 1', async () => {
    const run = await runRecorded(['search', '--actor', 'mallory', '--json', ...at(() => lying)(), ...key]);
    expect(run.status).toBe(1);
    const out = JSON.parse(run.stdout) as {
      ok: boolean;
      entries: { status: string; code?: string; actor: string }[];
    };
    expect(out.ok).toBe(false);
    expect(out.entries).toMatchObject([{ status: 'INVALID', code: 'NOT_IN_EVENT', actor: 'alice' }]);
  });

  it('marks rows whose receipts do not verify with the trusted key', async () => {
    const run = await runRecorded([
      'search',
      '--actor',
      'bob',
      ...server(),
      '--key',
      otherLogKey.verifierKey,
    ]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/INVALID UNTRUSTED_KEY/);
  });

  it('needs --actor and a trusted key, takes no argument, and checks --from', async () => {
    for (const [args, message] of [
      [['search', ...server(), ...key], /--actor NAME is required/],
      [['search', '--actor', 'alice', ...server()], /no trusted log key/],
      [['search', 'alice', ...server(), ...key], /takes no arguments/],
      [
        ['search', '--actor', 'alice', '--from', 'yesterday', ...server(), ...key],
        /--from "yesterday" is not an ISO 8601 time/,
      ],
    ] as const) {
      const run = await runRecorded([...args]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});

describe('msi lineage', () => {
  it('prints the hops as the verifier says, marked unverified, and asks for what the flags say', async () => {
    const run = await runRecorded([
      'lineage',
      formatImprint(Y),
      '--direction',
      'up',
      '--depth',
      '3',
      ...server(),
    ]);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/not verified here/);
    expect(lines[1]).toMatch(/^DEPTH\s+WAY\s+KIND\s+EVENT\s+ROUND\s+LINK$/);
    expect(lines[2]).toMatch(
      new RegExp(`^1\\s+up\\s+PROCESS\\s+${id(2)}\\s+1\\s+${formatImprint(X)} -> ${formatImprint(Y)}$`),
    );
    expect(lines[3]).toMatch(
      new RegExp(`^2\\s+up\\s+TRANSFER\\s+${id(1)}\\s+-\\s+${formatImprint(X)}  acme -> beta$`),
    );
    expect(run.stdout).toMatch(/truncated: more links lie beyond --depth or --links/);
    const request = clean.lineageRequests.at(-1);
    expect(request?.direction).toBe(D.LINEAGE_DIRECTION_UPSTREAM);
    expect(request?.maxDepth).toBe(3);
    expect(request?.maxLinks).toBe(0);
    expect(Buffer.from(request?.data ?? []).equals(Buffer.from(encodeImprint(Y)))).toBe(true);
  });

  it('hashes --file here, defaults to both ways, and prints JSON', async () => {
    const file = join(dir, 'item.csv');
    await writeFile(file, 'item-y');
    const run = await runRecorded(['lineage', '--file', file, '--links', '10', '--json', ...server()]);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as {
      data: string;
      direction: string;
      verified: boolean;
      truncated: boolean;
      hops: {
        depth: number;
        direction: string;
        kind: string;
        eventId: string;
        anchored: boolean;
        round: number | null;
      }[];
    };
    expect(out).toMatchObject({
      data: formatImprint(Y),
      direction: 'both',
      verified: false,
      truncated: true,
    });
    expect(out.hops.map((h) => [h.depth, h.direction, h.kind, h.eventId, h.round])).toEqual([
      [1, 'up', 'PROCESS', id(2), 1],
      [2, 'up', 'TRANSFER', id(1), null],
    ]);
    expect(clean.lineageRequests.at(-1)?.direction).toBe(D.LINEAGE_DIRECTION_BOTH);
    expect(clean.lineageRequests.at(-1)?.maxLinks).toBe(10);
  });

  it('refuses a bad direction, depth or links, and an imprint with --file', async () => {
    for (const [args, message] of [
      [['--direction', 'sideways'], /--direction "sideways" is not up, down or both/],
      [['--depth', '17'], /--depth "17" is not a whole number from 1 to 16/],
      [['--links', '0'], /--links "0" is not a whole number from 1 to 5000/],
      [['--file', 'x.csv'], /one <data-imprint> or --file FILE/],
    ] as const) {
      const run = await runRecorded(['lineage', formatImprint(Y), ...args, ...server()]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});

describe('msi witnesses', () => {
  it('prints each witness’s cosigned size, its time and its lag', async () => {
    const run = await runRecorded(['witnesses', ...server()]);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('newest checkpoint: size 2');
    expect(lines[1]).toMatch(/^WITNESS\s+KEY ID\s+COSIGNED\s+AT \(its clock\)\s+LAG\s+LAG TIME$/);
    expect(lines[2]).toMatch(/^witness\.test\/a\s+[0-9a-f]{8}\s+1\s+2025-11-24T\S+Z\s+1\s+1\.000 s$/);
    const json = await runRecorded(['witnesses', '--json', ...server()]);
    expect(JSON.parse(json.stdout)).toEqual({
      checkpointSize: 2,
      witnesses: [
        {
          name: 'witness.test/a',
          keyId: witnessA.signer.keyId.toString(16).padStart(8, '0'),
          cosignedSize: 1,
          cosignedAt: new Date(COSIGN_TIME * 1000).toISOString().replace('Z', '000Z'),
          lagEntries: 1,
          lagSeconds: 1,
        },
      ],
    });
  });
});

describe('msi publications', () => {
  it('lists the publications newest first from their texts, and writes each with -o', async () => {
    const out = join(dir, 'pubs');
    const run = await runRecorded(['publications', '-o', out, ...server()]);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^TIME\s+SIZE\s+ORIGIN\s+STATUS$/);
    expect(lines[1]).toMatch(/^\S+Z\s+2\s+msi\.test\/calendar\s+UNCHECKED$/);
    expect(lines[2]).toMatch(/^\S+Z\s+1\s+msi\.test\/calendar\s+UNCHECKED$/);
    expect((await readdir(out)).sort()).toEqual([`publication-${T}.txt`, `publication-${T + 60}.txt`]);
    expect(await readFile(join(out, `publication-${T}.txt`), 'utf8')).toBe(publicationAt(T, 1).text);
  });

  it('checks the log signature with --key (VALID; another key is INVALID, exit 1)', async () => {
    const valid = await runRecorded(['publications', '--json', ...server(), ...key]);
    expect(valid.status).toBe(0);
    const rows = (
      JSON.parse(valid.stdout) as { publications: { status: string; time: number; size: number }[] }
    ).publications;
    expect(rows.map((r) => [r.status, r.time, r.size])).toEqual([
      ['VALID', T + 60, 2],
      ['VALID', T, 1],
    ]);
    const other = await runRecorded(['publications', ...server(), '--key', otherLogKey.verifierKey]);
    expect(other.status).toBe(1);
    expect(other.stdout).toMatch(/INVALID UNTRUSTED_KEY/);
  });

  it('refuses a publication listed under another time than its text says', async () => {
    const run = await runRecorded(['publications', ...at(() => lying)()]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/INVALID LISTING_MISMATCH/);
  });
});
