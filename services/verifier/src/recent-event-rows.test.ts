import { randomBytes } from 'node:crypto';
import { encodeEvent, imprintOf, mintUuidV7 } from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { streamV1 } from '@msi/proto';
import type { PumpMessage } from '@msi/service-kit';
import { describe, expect, it } from 'vitest';
import { eventRowsOf } from './event-rows.js';
import { RecentEventRows } from './recent-event-rows.js';

const hasher = nodeHasher();
const T = 1_800_000_000_000;

function eventBytes(n: number): Uint8Array {
  return encodeEvent({
    tenant: 'acme',
    eventId: mintUuidV7(T, randomBytes(16)),
    kind: 'ACCESS',
    data: imprintOf('sha256', randomBytes(8)),
    inputs: [],
    outputs: [],
    toTenant: '',
    actor: 'job',
    submitter: 'gw',
    source: { system: 's3', region: 'eu', host: 'a' },
    destination: { system: 's3', region: 'eu', host: 'b' },
    occurredAt: T * 1000,
    receivedAt: T * 1000 + n,
    parents: [],
    attributes: [],
    nonce: randomBytes(16),
  });
}

/** Message `seq` on `shard` with `count` events. */
function message(seq: number, shard: number, count: number): PumpMessage {
  const data = streamV1.EventBatch.encode({
    version: 1,
    batchId: `b-${seq}`,
    shard,
    events: Array.from({ length: count }, (_, i) => Buffer.from(eventBytes(seq * 100 + i))),
  }).finish();
  return { seq, subject: `msi.events.${shard}`, data, storedAtUs: 0 };
}

function record(recent: RecentEventRows, messages: PumpMessage[]): void {
  recent.record(
    messages.map((m) => m.seq),
    eventRowsOf(hasher, messages),
  );
}

const positions = (rows: readonly { streamSeq: number; position: number }[] | undefined) =>
  rows?.map((r) => `${r.streamSeq}/${r.position}`);

describe('RecentEventRows', () => {
  it("answers a seal's range with its shard's rows in stream then position order", () => {
    const recent = new RecentEventRows(1 << 30);
    record(recent, [message(5, 0, 2), message(6, 1, 1), message(7, 0, 3)]);
    record(recent, [message(8, 1, 2), message(9, 0, 1)]);
    expect(positions(recent.covered({ shard: 0, streamStart: 5, streamEnd: 10 }))).toEqual([
      '5/0',
      '5/1',
      '7/0',
      '7/1',
      '7/2',
      '9/0',
    ]);
    expect(positions(recent.covered({ shard: 1, streamStart: 7, streamEnd: 9 }))).toEqual(['8/0', '8/1']);
    expect(positions(recent.covered({ shard: 3, streamStart: 5, streamEnd: 10 }))).toEqual([]);
  });

  it('answers nothing for a range reaching before its first group or past its last message', () => {
    const recent = new RecentEventRows(1 << 30);
    record(recent, [message(5, 0, 2), message(6, 0, 1)]);
    expect(recent.covered({ shard: 0, streamStart: 4, streamEnd: 7 })).toBeUndefined(); // 4: before it started
    expect(recent.covered({ shard: 0, streamStart: 5, streamEnd: 8 })).toBeUndefined(); // 7: not applied yet
    expect(positions(recent.covered({ shard: 0, streamStart: 5, streamEnd: 7 }))).toEqual([
      '5/0',
      '5/1',
      '6/0',
    ]);
  });

  it('counts messages that made no row, and ignores messages delivered again', () => {
    const recent = new RecentEventRows(1 << 30);
    const broken: PumpMessage = {
      seq: 6,
      subject: 'msi.events.0',
      data: new Uint8Array([0xff]),
      storedAtUs: 0,
    };
    record(recent, [message(5, 0, 1), broken, message(7, 0, 1)]);
    record(recent, [message(7, 0, 1), message(8, 0, 1)]); // 7 again, after a consumer restart
    expect(positions(recent.covered({ shard: 0, streamStart: 5, streamEnd: 9 }))).toEqual([
      '5/0',
      '7/0',
      '8/0',
    ]);
  });

  it('forgets the oldest messages past its budget, and then refuses ranges that reach them', () => {
    const one = new RecentEventRows(1 << 30);
    record(one, [message(1, 0, 10)]);
    const perMessage = one.bytes;
    const recent = new RecentEventRows(perMessage * 3);
    for (let seq = 1; seq <= 6; seq++) record(recent, [message(seq, seq % 2, 10)]);
    expect(recent.bytes).toBeLessThanOrEqual(perMessage * 3);
    expect(recent.covered({ shard: 0, streamStart: 2, streamEnd: 7 })).toBeUndefined();
    expect(positions(recent.covered({ shard: 0, streamStart: 4, streamEnd: 7 }))?.length).toBe(20); // 4 and 6
    expect(positions(recent.covered({ shard: 1, streamStart: 5, streamEnd: 7 }))?.length).toBe(10);
  });

  it('gives back each row as recorded, from copies of its bytes (the messages may be reused)', () => {
    const recent = new RecentEventRows(1 << 30);
    const messages = [message(5, 0, 3), message(6, 0, 2)];
    const rows = eventRowsOf(hasher, messages);
    const expected = rows.seq.map((seq, i) => ({
      leafHash: Buffer.from(rows.leaf.at(i) as Uint8Array).toString('hex'),
      receivedAt: rows.received[i],
      eventId: Buffer.from(rows.id.at(i) as Uint8Array).toString('hex'),
      streamSeq: seq,
      position: rows.pos[i],
      tenant: rows.tenant[i],
      canonical: Buffer.from(rows.canonical.at(i) as Uint8Array).toString('hex'),
    }));
    recent.record([5, 6], rows);
    for (const m of messages) m.data.fill(0); // a consumer's buffer, reused
    for (let i = 0; i < rows.seq.length; i++) (rows.leaf.at(i) as Uint8Array).fill(0);
    const covered = recent.covered({ shard: 0, streamStart: 5, streamEnd: 7 });
    expect(
      covered?.map((r) => ({
        leafHash: Buffer.from(r.leafHash).toString('hex'),
        receivedAt: r.receivedAt,
        eventId: Buffer.from(r.eventId).toString('hex'),
        streamSeq: r.streamSeq,
        position: r.position,
        tenant: r.tenant,
        canonical: Buffer.from(r.canonical).toString('hex'),
      })),
    ).toEqual(expected);
    expect(new Set(expected.map((r) => r.eventId)).size).toBe(5);
  });

  it('counts what it holds: the bytes of its copies and a little per message', () => {
    const recent = new RecentEventRows(1 << 30);
    const messages = [message(5, 0, 3), message(6, 1, 2)];
    const rows = eventRowsOf(hasher, messages);
    let canonical = 0;
    for (let i = 0; i < rows.seq.length; i++) canonical += (rows.canonical.at(i) as Uint8Array).length;
    recent.record([5, 6], rows);
    // Each row: its canonical bytes, a leaf hash (32), an id (16) and 24 bytes of columns.
    expect(recent.bytes - canonical - 5 * (32 + 16 + 24)).toBeGreaterThan(0);
    expect(recent.bytes - canonical - 5 * (32 + 16 + 24)).toBeLessThanOrEqual(2 * 1024);
  });
});
