import { streamV1ShardMap } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { integrityCandidate } from './integrity-candidates.js';
import { findingOf } from './integrity-intake.js';

const report = {
  format: 1,
  shard: 5,
  sealNumber: 12n,
  streamStart: 300n,
  streamEnd: 304n,
  mapVersion: 7n,
  retiredAtMs: 1_700_000_000_000n,
  lastStoredAtMs: 1_700_000_004_000n,
  aggregatorId: 'aggregator-2',
};

const message = (data: Uint8Array, subject = 'msi.integrity.aggregator') => ({
  seq: 41,
  subject,
  data,
  storedAtUs: 1_700_000_009_000_000,
});

describe('integrity reports of the aggregators', () => {
  it('an EventOnRetiredShard is a high event-on-retired-shard alert per shard, at the newest store time', () => {
    const finding = findingOf(message(streamV1ShardMap.EventOnRetiredShard.encode(report).finish()));
    expect(finding).toMatchObject({
      rule: 'event-on-retired-shard',
      severity: 'high',
      subject: 'shard=5',
      trigger: 'integrity#41',
      atUs: 1_700_000_004_000_000,
      details: {
        shard: '5',
        seal_number: '12',
        stream_start: '300',
        stream_end: '304',
        map_version: '7',
        aggregator: 'aggregator-2',
      },
    });
    expect(finding.message).toBe(
      'events stored on shard 5 after it retired (shard map version 7) were sealed in seal 12 [300, 304): an ingest instance routed by a map it should no longer use',
    );
    // An integrity alert of no tenant, grouped by rule and shard.
    const candidate = integrityCandidate(finding);
    expect(candidate).toMatchObject({ category: 'integrity', tenant: '', eventIds: [] });
    expect(candidate.dedupeKey).toBe('event-on-retired-shard||shard=5');
  });

  it('without a store time in the report, the message is dated by the stream', () => {
    const bytes = streamV1ShardMap.EventOnRetiredShard.encode({ ...report, lastStoredAtMs: 0n }).finish();
    expect(findingOf(message(bytes)).atUs).toBe(1_700_000_009_000_000);
  });

  it('what does not decode, or comes from an unknown source, throws (the intake raises malformed-message)', () => {
    expect(() => findingOf(message(new Uint8Array([0xff, 0xff, 0xff])))).toThrow();
    const bytes = streamV1ShardMap.EventOnRetiredShard.encode(report).finish();
    expect(() => findingOf(message(bytes, 'msi.integrity.ingest'))).toThrow(
      /unknown integrity source "ingest"/,
    );
  });
});
