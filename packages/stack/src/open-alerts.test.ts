import { alerterV1 } from '@msi/proto';
import { describe, expect, it } from 'vitest';
import { formatOpenAlerts, tallyOpenAlerts } from './open-alerts.js';

const alert = (severity: alerterV1.Severity) => alerterV1.Alert.fromPartial({ severity });
const { SEVERITY_LOW: LOW, SEVERITY_HIGH: HIGH, SEVERITY_CRITICAL: CRITICAL } = alerterV1.Severity;

describe('open alert counts', () => {
  it('are tallied per severity and shown most serious first, leaving out severities with none', () => {
    const counts = tallyOpenAlerts([HIGH, CRITICAL, HIGH, LOW, HIGH, CRITICAL].map(alert), false);
    expect(counts.bySeverity).toEqual({ critical: 2, high: 3, medium: 0, low: 1 });
    expect(formatOpenAlerts(counts)).toBe('open alerts: 2 critical, 3 high, 1 low');
  });

  it('say "none" when nothing is open, and "at least" when the count stopped early', () => {
    expect(formatOpenAlerts(tallyOpenAlerts([], false))).toBe('open alerts: none');
    expect(formatOpenAlerts(tallyOpenAlerts([alert(HIGH)], true))).toBe('open alerts: 1 high (at least)');
  });

  it('ignore an alert of an unknown severity (hostile or newer server)', () => {
    const counts = tallyOpenAlerts(
      [alert(alerterV1.Severity.SEVERITY_UNSPECIFIED), alert(99 as alerterV1.Severity)],
      false,
    );
    expect(formatOpenAlerts(counts)).toBe('open alerts: none');
  });
});
