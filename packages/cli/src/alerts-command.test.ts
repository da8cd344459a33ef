import { alerterV1 } from '@msi/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAlerter, startFakeAlerter } from './fake-alerter.test-helper.js';
import { runRecorded } from './memory-io.test-helper.js';

const { SEVERITY_LOW: LOW, SEVERITY_HIGH: HIGH, SEVERITY_CRITICAL: CRITICAL } = alerterV1.Severity;
let alerter: FakeAlerter;
const at = (n: number) => BigInt(Date.UTC(2026, 10, 25, 2, 0, n)) * 1000n;

beforeAll(async () => {
  alerter = await startFakeAlerter([
    { rule: 'unknown-provenance', severity: LOW, tenant: 'acme', message: 'one', firstSeenUs: at(1) },
    { rule: 'reader-not-allowed', severity: HIGH, tenant: 'acme', message: 'two', firstSeenUs: at(2) },
    { rule: 'calendar-gap', severity: CRITICAL, tenant: '', message: 'three', firstSeenUs: at(3) },
  ]);
});
afterAll(async () => {
  await alerter?.stop();
});

const env = () => ({ MSI_ALERTER_ADDRESS: alerter.address, MSI_API_KEY: 'operator' });

describe('msi alerts', () => {
  it('lists the newest alerts oldest first, one line each, sending the API key', async () => {
    const run = await runRecorded(['alerts', '--insecure'], { env: env() });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s{2,}/)[2])).toEqual([
      'unknown-provenance',
      'reader-not-allowed',
      'calendar-gap',
    ]);
    expect(lines[2]).toMatch(/ CRITICAL {2}calendar-gap {2}system {2}three {2}id /);
    expect(run.stdout).not.toContain('\x1b');
    expect(alerter.calls.at(-1)?.authorization).toBe('Bearer operator');
  });

  it('passes the filter, pages up to --limit, and prints JSON lines', async () => {
    const run = await runRecorded(
      [
        'alerts',
        '--insecure',
        '--severity',
        'HIGH',
        '--status',
        'open',
        '--category',
        'policy',
        '--tenant',
        'acme',
        '--rule',
        'r',
        '--limit',
        '1',
        '--json',
      ],
      { env: env() },
    );
    expect(run.status, run.stderr).toBe(0);
    const request = alerter.calls.at(-1)?.request as alerterV1.ListAlertsRequest;
    expect(request.filter).toEqual({
      tenant: 'acme',
      rule: 'r',
      minSeverity: HIGH,
      category: alerterV1.Category.CATEGORY_POLICY,
      status: alerterV1.Status.STATUS_OPEN,
    });
    expect(request.pageSize).toBe(1);
    const printed = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({
      rule: 'calendar-gap',
      severity: 'critical',
      sequence: 3,
      anchored_round: null,
    });
  });

  it('colours on a terminal unless NO_COLOR is set', async () => {
    const tty = await runRecorded(['alerts', '--insecure'], { env: env(), tty: true });
    expect(tty.stdout).toContain('\x1b[1;31mCRITICAL\x1b[0m');
    const noColor = await runRecorded(['alerts', '--insecure'], {
      env: { ...env(), NO_COLOR: '1' },
      tty: true,
    });
    expect(noColor.stdout).not.toContain('\x1b');
  });

  it('--follow prints the list, then new alerts as they come, and stops cleanly on Ctrl-C', async () => {
    const interrupt = new AbortController();
    const running = runRecorded(['alerts', '--insecure', '--follow', '--limit', '2', '--json'], {
      env: env(),
      interrupt: interrupt.signal,
      onOut: (stdout) => {
        if (stdout.includes('"live-one"')) interrupt.abort('SIGINT');
      },
    });
    await alerter.watching(1);
    alerter.raise({ rule: 'live-one', severity: HIGH, tenant: 'acme', message: 'four' });
    const run = await running;
    expect(run.status, run.stderr).toBe(0);
    const rules = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { rule: string }).rule);
    // The newest two stored, then the live one: the feed resumed after the last listed, without gaps or repeats.
    expect(rules).toEqual(['reader-not-allowed', 'calendar-gap', 'live-one']);
    const watch = alerter.calls.find((c) => c.method === 'watchAlerts')
      ?.request as alerterV1.WatchAlertsRequest;
    expect(watch.afterSequence).toBe(3n);
  });

  it('acknowledges an alert with a note', async () => {
    const id = String(2).padStart(64, 'a');
    const run = await runRecorded(['alerts', 'ack', id, '--note', 'known intern', '--insecure'], {
      env: env(),
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^acknowledged by dev-operator at 2025-11-24T\S+ \(known intern\):\n/);
    expect(run.stdout).toMatch(/reader-not-allowed .*\[acknowledged by dev-operator\]/);
    const json = await runRecorded(['alerts', 'ack', id, '--insecure', '--json'], { env: env() });
    expect(JSON.parse(json.stdout)).toMatchObject({ alert_id: id, status: 'acknowledged' });
  });

  it.each([
    [['--severity', 'urgent'], /--severity "urgent" is not one of low, medium, high, critical/],
    [['--status', 'closed'], /--status "closed" is not one of open, acknowledged/],
    [['--category', 'x'], /--category "x" is not one of policy, custody, integrity/],
    [['--limit', '0'], /--limit "0" is not a whole number from 1 to 10000/],
    [['--tenant', ''], /--tenant is empty/],
    [['--note', 'x'], /--note goes with msi alerts ack/],
    [['nonsense'], /unknown argument "nonsense"/],
    [['ack'], /msi alerts ack takes <alert-id>, got 0/],
    [['ack', 'XYZ'], /<alert-id> "XYZ" is not an alert id/],
    [['ack', 'a'.repeat(64), '--follow'], /--follow does not go with msi alerts ack/],
    [['--server', 'nohost'], /--server "nohost" is not host:port/],
  ])('refuses %j before calling the alerter, naming the flag (exit 2)', async (args, message) => {
    const before = alerter.calls.length;
    const run = await runRecorded(['alerts', ...args, '--insecure'], { env: env() });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^msi alerts: /);
    expect(run.stderr).toMatch(message);
    expect(alerter.calls.length).toBe(before);
  });

  it('maps the alerter refusing or missing to exit 2 and 3 with clear messages', async () => {
    const refused = await runRecorded(['alerts', '--insecure'], { env: { ...env(), MSI_API_KEY: 'nobody' } });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/the alerter did not accept the credentials \(--api-key\?\)/);
    const auditor = await runRecorded(['alerts', 'ack', 'a'.repeat(64), '--insecure'], {
      env: { ...env(), MSI_API_KEY: 'auditor' },
    });
    expect(auditor.status).toBe(2);
    expect(auditor.stderr).toMatch(/the alerter refused: acknowledging alerts needs the operator role/);
    const unknown = await runRecorded(['alerts', 'ack', 'f'.repeat(64), '--insecure'], { env: env() });
    expect(unknown.stderr).toMatch(/the alerter: not found/);
    const absent = await runRecorded(['alerts', '--server', '127.0.0.1:1'], { env: env() });
    expect(absent.status).toBe(3);
    expect(absent.stderr).toMatch(/cannot reach the alerter at 127\.0\.0\.1:1 .*add --insecure/);
  });
});
