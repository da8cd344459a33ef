import { describe, expect, it } from 'vitest';
import { processLineText, statusLine } from './dev-console.js';
import { tallyOpenAlerts } from './open-alerts.js';

describe('the dev console', () => {
  it('unpacks JSON log records and keeps other lines as they are', () => {
    const record = JSON.stringify({ t: 1, level: 'info', service: 'alerter', msg: 'serving', port: 50054 });
    expect(processLineText({ name: 'alerter', stream: 'stdout', line: record }, undefined)).toBe(
      'alerter      | INFO  serving {"port":50054}',
    );
    expect(processLineText({ name: 'calendar', stream: 'stderr', line: 'plain text' }, '\x1b[36m')).toBe(
      '\x1b[36mcalendar    \x1b[0m | plain text',
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
});
