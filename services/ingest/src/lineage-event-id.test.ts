import { formatUuid, isUuidV7, parseUuid, uuidV7Time } from '@msi/core';
import { describe, expect, it } from 'vitest';
import { lineageEventId } from './lineage-event-id.js';

const v4 = '6edf42ed-d8d0-454a-b819-d09b9067ff99';
const runOf = (runId: string, eventTimeUs: number) => ({ runId, runIdBytes: parseUuid(runId), eventTimeUs });

describe('lineageEventId', () => {
  const nowMs = Date.now();

  it('is a UUIDv7 with eventTime as its time when the runId is not a UUIDv7', () => {
    const id = lineageEventId(runOf(v4, nowMs * 1000 + 999), 'COMPLETE', 0);
    expect(isUuidV7(id)).toBe(true);
    expect(uuidV7Time(id)).toBe(nowMs);
  });

  it("takes a UUIDv7 runId's own time, whatever eventTime says", () => {
    const runId = '01936f0a-3b2c-7d4e-8f00-112233445566';
    const id = lineageEventId(runOf(runId, nowMs * 1000), 'COMPLETE', 0);
    expect(uuidV7Time(id)).toBe(uuidV7Time(parseUuid(runId)));
  });

  it('is the same for the same (runId, eventType, part) and differs when any of them does', () => {
    const run = runOf(v4, nowMs * 1000);
    const id = formatUuid(lineageEventId(run, 'COMPLETE', 0));
    expect(formatUuid(lineageEventId(runOf(v4, nowMs * 1000), 'COMPLETE', 0))).toBe(id);
    const others = [
      lineageEventId(run, 'FAIL', 0),
      lineageEventId(run, 'COMPLETE', 1),
      lineageEventId(runOf('6edf42ed-d8d0-454a-b819-d09b9067ff98', nowMs * 1000), 'COMPLETE', 0),
    ].map(formatUuid);
    expect(new Set([id, ...others]).size).toBe(4);
  });

  it('pins the derivation (a known answer computed apart, with node:crypto)', () => {
    // time 2021-01-01T00:00:01.051Z = 0x0176bb3e741b ms; the other bits from bytes 6–15 of
    // SHA-256("msi.openlineage.event-id.v1" 0x00 runId 0x00 "COMPLETE" 0x00 "0"), version 7, variant 0b10.
    const id = lineageEventId(runOf(v4, Date.parse('2021-01-01T00:00:01.051Z') * 1000), 'COMPLETE', 0);
    expect(formatUuid(id)).toBe('0176bb3e-741b-7078-bafc-a34ba9ad8744');
  });
});
