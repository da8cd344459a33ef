import { streamV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { type SecurityIncident, SecurityReporter } from './security-reporter.js';

const incident: SecurityIncident = {
  kind: 'UNAUTHENTICATED',
  method: '/msi.ingest.v1.IngestService/Submit',
  peer: 'ipv4:127.0.0.1:5000',
  principal: '',
  tenant: '',
  reason: 'unknown_api_key',
};

function harness(perSecond: number) {
  let now = 1_764_000_000_000;
  const sent: Uint8Array[] = [];
  let dropped = 0;
  const reporter = new SecurityReporter({
    service: 'ingest',
    send: (payload) => sent.push(payload),
    nowMs: () => now,
    perSecond,
    onDropped: () => {
      dropped += 1;
    },
  });
  return { reporter, sent, dropped: () => dropped, advance: (ms: number) => (now += ms), now: () => now };
}

describe('SecurityReporter', () => {
  it('publishes a versioned SecurityEvent with what the call showed', () => {
    const h = harness(10);
    h.reporter.report({
      ...incident,
      kind: 'PERMISSION_DENIED',
      principal: 'etl',
      tenant: 'acme',
      reason: 'missing_role',
    });
    expect(h.sent).toHaveLength(1);
    const event = streamV1.SecurityEvent.decode(h.sent[0] ?? new Uint8Array());
    expect(event).toMatchObject({
      version: 1,
      kind: streamV1.SecurityEventKind.SECURITY_EVENT_KIND_PERMISSION_DENIED,
      service: 'ingest',
      method: incident.method,
      peer: incident.peer,
      principal: 'etl',
      tenant: 'acme',
      reason: 'missing_role',
      atUs: BigInt(h.now()) * 1000n,
    });
  });

  it('lets a burst of twice the rate through, then drops until tokens refill', () => {
    const h = harness(5);
    for (let i = 0; i < 25; i++) h.reporter.report(incident);
    expect(h.sent).toHaveLength(10);
    expect(h.dropped()).toBe(15);
    h.advance(1000);
    for (let i = 0; i < 25; i++) h.reporter.report(incident);
    expect(h.sent).toHaveLength(15);
  });

  it('never throws into the call when sending fails', () => {
    let dropped = 0;
    const reporter = new SecurityReporter({
      service: 'verifier',
      send: () => {
        throw new Error('connection closed');
      },
      nowMs: () => 0,
      perSecond: 1,
      onDropped: () => {
        dropped += 1;
      },
    });
    expect(() => reporter.report(incident)).not.toThrow();
    expect(dropped).toBe(1);
  });
});
