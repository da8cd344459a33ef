// `msi demo` run in-process against the real pipeline, verifier, a witness and the alerter (with the
// shipped policy): the story is told, every emitted event's receipt is saved and verifies offline,
// the derived dataset's history shows its PROCESS and TRANSFER events, and the alerter raises the
// four violations' alerts on the right events.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseVerifierKey, verifyReceipt } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { repositoryRoot, useWorld } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import { type MsiRun, runMsi } from './run-msi.js';

const API_KEYS = [
  {
    key: 'demo-acme-key',
    tenant: 'acme',
    principal: 'acme-pipeline',
    roles: ['emitter', 'auditor'] as const,
  },
  {
    key: 'demo-globex-key',
    tenant: 'globex',
    principal: 'globex-pipeline',
    roles: ['emitter', 'auditor'] as const,
  },
];
const world = useWorld({
  label: 'demo',
  pipeline: async ({ workDir }) => {
    // Where npm start keeps them: the demo reads its keys from there.
    await writeFile(join(workDir, 'api-keys.json'), `${JSON.stringify(API_KEYS, null, 2)}\n`);
    return {
      verifier: true,
      witnesses: ['witness-a'],
      alerter: {
        policyFile: join(repositoryRoot(), 'services', 'alerter', 'policies', 'default.yaml'),
      },
      apiKeys: API_KEYS,
    };
  },
});

const demo = (args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<MsiRun> =>
  runMsi(['demo', ...args], env);

/** The id of the event the demo narrated with `say` (its `[KIND id]` tag). */
function emittedId(stdout: string, say: RegExp): string {
  const line = stdout.split('\n').find((l) => say.test(l)) ?? '';
  const id = /\[[A-Z]+ ([0-9a-f-]{36})\]/.exec(line)?.[1];
  if (id === undefined) throw new Error(`no emitted event matches ${say}`);
  return id;
}

/** The alert the demo narrated for `rule`, with its "on …" line. */
function narratedAlert(stdout: string, rule: string): string {
  const at = stdout.search(new RegExp(`^ {2}- [A-Z]+ ${rule}: `, 'm'));
  return at < 0 ? '' : stdout.slice(at).split('\n').slice(0, 3).join('\n');
}

describe('msi demo (real pipeline, verifier, witness and alerter)', () => {
  it('narrates the story, saves a verifying receipt per event and shows the derived history', async () => {
    const { pipeline, workDir } = world;
    const out = join(workDir, 'out');
    const witness = pipeline.witnesses[0]?.verifierKey ?? '';
    const { status, stdout, stderr } = await demo([
      '--data-dir',
      workDir,
      '--server-ingest',
      pipeline.ingestAddress,
      '--server-verifier',
      pipeline.verifierAddress ?? '',
      '--server-alerter',
      pipeline.alerterAddress ?? '',
      '--out',
      out,
      '--key',
      pipeline.verifierKey,
      '--witness',
      witness,
    ]);
    expect(status, stdout + stderr).toBe(0);
    for (const step of [1, 2, 3, 4, 5, 6, 7, 8, 9]) expect(stdout).toContain(`Step ${step}:`);
    expect(stdout).toMatch(
      /STATE event: the export's readers are crm-export, etl-customer-orders, reporting-job, backup-sync/,
    );
    expect(stdout).toMatch(/STOREs the customer export \(classification=pii\)/);
    expect(stdout).toMatch(/PROCESSes/);
    expect(stdout).toMatch(/to the tenant globex/);
    expect(stdout).toMatch(/alice .*ACCESS/);
    expect(stdout).toMatch(/bob .*ACCESS/);
    expect(stdout).toMatch(/VIOLATION: pii data sent to a forbidden region \(us-east-1\)/);
    expect(stdout).toMatch(/VIOLATION: an actor who is not a declared reader \(mallory\)/);
    expect(stdout).toMatch(/VIOLATION: access after deletion/);
    expect(stdout).not.toMatch(/no alert is raised|issue 6/);
    expect(stdout).toMatch(/^ {2}VALID event .* witnesses: witness-a@/m);

    const emittedIds = [...stdout.matchAll(/\[[A-Z]+ ([0-9a-f-]{36})\]/g)].map((m) => m[1]);
    expect(emittedIds.length).toBeGreaterThan(0);
    const files = (await readdir(join(out, 'receipts'))).sort();
    expect(files).toEqual(emittedIds.map((id) => `${id}.json`).sort());
    const trust = { logKeys: [parseVerifierKey(pipeline.verifierKey)], witnessKeys: [], quorum: 0 };
    for (const id of emittedIds) {
      const text = await readFile(join(out, 'receipts', `${id}.json`), 'utf8');
      const verified = verifyReceipt(text, trust, { hasher: nodeHasher(), ed25519: nodeEd25519() });
      expect(verified.event.eventId).toHaveLength(16);
    }

    const history = stdout.slice(stdout.indexOf('Step 8:'), stdout.indexOf('Step 9:'));
    expect(history).toMatch(/ PROCESS .* VALID /);
    expect(history.match(/ TRANSFER .* VALID /g)?.length).toBeGreaterThanOrEqual(2);
    expect(history).toMatch(/Lineage \(from verified events\):/);

    // The four violations raised their alerts, each on the violating event, anchored, with its receipt.
    const alerts = stdout.slice(stdout.indexOf('Step 9:'));
    expect(alerts).toMatch(/the alerter raised \d+ alert\(s\) on this run's events:/);
    expect(alerts).not.toMatch(/^ {2}no [a-z-]+ alert on /m);
    const expected: [string, string, RegExp, RegExp][] = [
      [
        'pii-outside-allowed-regions',
        'TRANSFER',
        /backup-sync TRANSFERs the pii/,
        /backup-sync transferred pii .* to us-east-1/,
      ],
      ['reader-not-allowed', 'ACCESS', /mallory ACCESSes/, /mallory read .*whose readers are crm-export/],
      ['use-after-delete', 'ACCESS', /reporting-job ACCESSes/, /reporting-job/],
      [
        'frozen-path-changed',
        'STATE',
        /the MSI agent on etl-1 reports/,
        /\/etc\/etl\/etl-config\.yaml on etl-1 modified: the path is frozen/,
      ],
    ];
    for (const [rule, kind, say, message] of expected) {
      const id = emittedId(stdout, say);
      const narrated = narratedAlert(alerts, rule);
      expect(narrated, `${rule} in\n${alerts}`).toMatch(message);
      expect(narrated).toContain(`${kind} ${id}`);
      expect(narrated).toMatch(/anchored in round \d+/);
      expect(narrated).toContain(join(out, 'receipts', `${id}.json`));
    }
    expect(alerts).not.toMatch(/- [A-Z]+ reader-not-allowed: (crm-export|reporting-job|backup-sync) read/);
  }, 120_000);

  it('without --key saves the receipts, skips verification and says where the key comes from', async () => {
    const { pipeline, workDir } = world;
    const out = join(workDir, 'out-nokey');
    // The keys from MSI_DATA_DIR, as npm start and msi up take it.
    const { status, stdout, stderr } = await demo(
      [
        '--server-ingest',
        pipeline.ingestAddress,
        '--server-verifier',
        pipeline.verifierAddress ?? '',
        '--server-alerter',
        pipeline.alerterAddress ?? '',
        '--out',
        out,
      ],
      { MSI_DATA_DIR: workDir },
    );
    expect(status, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/skipping offline verification .*--key/);
    expect(stdout).toMatch(/npm start prints/);
    expect(stdout).not.toContain('Step 9:');
    expect(stdout).toMatch(/^Step 8: the alerts on this run's events/m);
    expect(stdout).toMatch(/- HIGH reader-not-allowed: mallory read /);
    const ids = [...stdout.matchAll(/\[[A-Z]+ ([0-9a-f-]{36})\]/g)].map((m) => m[1]);
    expect((await readdir(join(out, 'receipts'))).length).toBe(ids.length);
  }, 120_000);
});
