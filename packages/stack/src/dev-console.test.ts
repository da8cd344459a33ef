import { describe, expect, it } from 'vitest';
import { devBanner, processLineText, statusLine, supervisionLineText } from './dev-console.js';
import type { DevStack } from './dev-stack.js';
import { tallyOpenAlerts } from './open-alerts.js';
import type { Pipeline } from './pipeline.js';

const utc = { color: undefined, timeZone: 'UTC' };

describe('the dev console', () => {
  it('makes JSON log records readable and keeps other lines as they are', () => {
    const record = JSON.stringify({
      t: '2026-03-04T05:06:07.089Z',
      level: 'info',
      service: 'alerter',
      msg: 'serving',
      port: 50054,
    });
    expect(processLineText({ name: 'alerter', stream: 'stdout', line: record }, utc)).toBe(
      'alerter      | 05:06:07.089 INFO  alerter serving port=50054',
    );
    expect(
      processLineText({ name: 'calendar', stream: 'stderr', line: 'plain text' }, { color: '\x1b[36m' }),
    ).toBe('\x1b[36mcalendar    \x1b[0m | plain text');
  });

  it('colours only on a terminal (a colour given)', () => {
    const record = JSON.stringify({
      level: 'error',
      time: '2026-03-04T05:06:07.089Z',
      service: 's',
      msg: 'm',
    });
    const plain = processLineText({ name: 's', stream: 'stdout', line: record }, utc);
    expect(plain).not.toContain('\x1b[');
    const coloured = processLineText(
      { name: 's', stream: 'stdout', line: record },
      { ...utc, color: '\x1b[36m' },
    );
    expect(coloured).toContain('\x1b[31mERROR\x1b[0m');
  });

  it('says which process died, how and when it restarts; and why one is left down', () => {
    const died = supervisionLineText(
      {
        kind: 'died',
        name: 'ingest',
        exit: { code: null, signal: 'SIGKILL' },
        ranMs: 4210,
        detail: 'whatever it logged last',
        restartInMs: 250,
        failures: 1,
      },
      utc,
    );
    expect(died).toBe('ingest       | ! died (signal SIGKILL) after 4.2 s — restarting in 250 ms');
    const leftDown = supervisionLineText(
      {
        kind: 'left-down',
        name: 'calendar',
        exit: { code: 2, signal: null },
        detail: JSON.stringify({
          level: 'error',
          time: '2026-03-04T05:06:07.089Z',
          service: 'calendar',
          msg: 'invalid configuration',
          problems: ['MSI_CALENDAR_LEASE_MS=900 must exceed MSI_ROUND_INTERVAL_MS'],
        }),
      },
      utc,
    );
    expect(leftDown).toBe(
      'calendar     | ! exited with status 2 (a bad configuration) and is not restarted — fix the setting and start the stack again: ' +
        '05:06:07.089 ERROR calendar invalid configuration problems=["MSI_CALENDAR_LEASE_MS=900 must exceed MSI_ROUND_INTERVAL_MS"]',
    );
  });

  it('shows the open alerts on the status line, or why it cannot', () => {
    const round = { round: 812, closedAtUs: 0, seals: 4, events: 120 };
    const counts = tallyOpenAlerts([], false);
    expect(statusLine(round, 119.6, counts)).toBe(
      'status: round 812 · 4 seal(s) · 120 events/s anchored · open alerts: none',
    );
    expect(statusLine(round, 0, new Error('UNAVAILABLE'))).toMatch(
      /open alerts: \? \(the alerter does not answer\)$/,
    );
    expect(statusLine(round, 0, undefined)).not.toMatch(/n\/a/);
  });

  it('prints every endpoint in the banner, the OpenLineage one beside the others', () => {
    const pipeline = {
      ingestAddress: '127.0.0.1:50051',
      verifierAddress: '127.0.0.1:50052',
      alerterAddress: '127.0.0.1:50054',
      tilesUrl: 'http://127.0.0.1:7390/',
      consoleUrl: 'http://127.0.0.1:8080',
      openLineageUrl: 'http://127.0.0.1:5000/api/v1/lineage',
      verifierKey: 'msi.dev/calendar+01234567+AAAA',
      witnesses: [],
    } as unknown as Pipeline;
    const operatorKey = { key: 'ops-key', tenant: 'ops', principal: 'ops', roles: ['operator'] as const };
    const stack = {
      pipeline,
      natsUrl: 'nats://127.0.0.1:4222',
      databaseUrl: 'postgres://root@127.0.0.1:5432/msi',
      apiKeys: [operatorKey],
      operatorKey,
      policyFile: '.msi/policy.yaml',
      origin: { nats: 'embedded', postgres: 'embedded' },
    } as unknown as DevStack;
    const banner = devBanner(stack);
    expect(banner).toContain(
      '  openlineage        http://127.0.0.1:5000/api/v1/lineage   (OpenLineage RunEvents in: docs/OPENLINEAGE.md)',
    );
    expect(banner).toContain('  ingest (gRPC)      127.0.0.1:50051');
  });
});
