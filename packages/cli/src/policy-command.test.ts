import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRecorded } from './memory-io.test-helper.js';

const SHIPPED = join(import.meta.dirname, '../../../services/alerter/policies/default.yaml');
const POLICY = `version: 1
rules:
  - id: pii-out
    description: pii out of the EU
    severity: high
    when:
      kind: TRANSFER
      attributes.classification: pii
      destination.region: { not_in: [eu-west-1] }
`;
const item = (c: string) => `sha256:${c.repeat(64)}`;
const EVENTS = [
  {
    kind: 'TRANSFER',
    data: item('a'),
    actor: 'sync',
    destination: 's3/us-east-1/b',
    attr: { classification: 'pii' },
  },
  {
    kind: 'TRANSFER',
    data: item('a'),
    actor: 'sync',
    destination: 's3/eu-west-1/b',
    attr: { classification: 'pii' },
  },
]
  .map((e) => JSON.stringify(e))
  .join('\n');

describe('msi policy check', () => {
  it('lists the rules of a valid file with how each is judged', async () => {
    const run = await runRecorded(['policy', 'check', SHIPPED]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^VALID .*default\.yaml: 8 rule\(s\), digest [0-9a-f]{64}\n/);
    expect(run.stdout).toMatch(/reader-not-allowed +high +once anchored/);
    expect(run.stdout).toMatch(/pii-outside-allowed-regions +high +on arrival/);
  });

  it('prints every problem of an invalid file with line, column and field, exit 1', async () => {
    const run = await runRecorded(['policy', 'check', '-'], {
      stdin: POLICY.replace('severity: high', 'severity: hot'),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('INVALID -: 1 problem(s)');
    expect(run.stderr).toMatch(/-:5:15 rules\[0\]\.severity: "hot"/);
    const json = await runRecorded(['policy', 'check', '-', '--json'], { stdin: 'version: 2\n' });
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, problems: [{ path: 'version', line: 1 }] });
  });

  it('judges sample events: which rules each would trigger', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msi-policy-check-'));
    try {
      await writeFile(join(dir, 'policy.yaml'), POLICY);
      await writeFile(join(dir, 'events.jsonl'), EVENTS);
      const run = await runRecorded([
        'policy',
        'check',
        join(dir, 'policy.yaml'),
        '--events',
        join(dir, 'events.jsonl'),
        '--json',
      ]);
      expect(run.status, run.stderr).toBe(0);
      const [summary, first, second] = run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(summary).toMatchObject({ valid: true, rules: [{ id: 'pii-out', evaluate: 'arrival' }] });
      expect(first).toMatchObject({
        line: 1,
        kind: 'TRANSFER',
        matches: [{ rule: 'pii-out', severity: 'high' }],
      });
      expect(second).toMatchObject({ line: 2, matches: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses what it cannot judge, naming the line', async () => {
    const bad = await runRecorded(['policy', 'check', SHIPPED, '--events', '-'], {
      stdin: '{"kind":"STORE","actor":"x"}\n',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/-:1: no data/);
    const verb = await runRecorded(['policy', 'lint', SHIPPED]);
    expect(verb.status).toBe(2);
    expect(verb.stderr).toContain('unknown action "lint"');
  });
});
