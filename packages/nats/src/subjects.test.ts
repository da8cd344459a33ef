import { describe, expect, it } from 'vitest';
import { bucketNamesFor, claimsStreamFor, shardOfSubject, streamNamesFor, subjectsFor } from './subjects.js';

describe('subjects', () => {
  it('derives every subject from the prefix', () => {
    const s = subjectsFor('msi');
    expect([s.events(3), s.allEvents, s.seals(0), s.rounds, s.security, s.alerts('critical')]).toEqual([
      'msi.events.3',
      'msi.events.*',
      'msi.seals.0',
      'msi.rounds',
      'msi.security',
      'msi.alerts.critical',
    ]);
  });

  it('derives stream and bucket names without dots', () => {
    expect(streamNamesFor('t1.msi').events).toBe('T1_MSI_EVENTS');
    expect(bucketNamesFor('t1.msi')).toEqual({ leases: 'T1_MSI_LEASES', shardMap: 'T1_MSI_SHARDS' });
    expect(claimsStreamFor('t1.msi')).toBe('T1_MSI_CLAIMS');
    expect(subjectsFor('t1.msi').claims).toBe('t1.msi.claims');
  });

  it.each(['', 'a..b', 'a.*', 'a.>', 'a b', '.a', 'a.'])('rejects the prefix %j', (prefix) => {
    expect(() => subjectsFor(prefix)).toThrow(/prefix/);
  });

  it('rejects shards out of range and reads them back', () => {
    const s = subjectsFor('msi');
    expect(() => s.events(-1)).toThrow(/shard/);
    expect(() => s.events(1.5)).toThrow(/shard/);
    expect(shardOfSubject(s.events(17))).toBe(17);
    expect(() => shardOfSubject('msi.events.07')).toThrow();
  });
});
