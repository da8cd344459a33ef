import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeRound,
  FIRST_SEAL_SEQUENCE,
  formatVerifierKey,
  generateNoteKey,
  parseSignerKey,
  type RoundRecord,
  roundLeafHash,
  signCheckpoint,
  verifierKeyOf,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { CompactRange } from '@msi/merkle';
import { connectNats, subjectsFor } from '@msi/nats';
import { streamV1 } from '@msi/proto';
import { CredentialStore, createLogger } from '@msi/service-kit';
import {
  createFreshDatabase,
  deleteNatsNamespace,
  eventually,
  type FreshDatabase,
  repositoryRoot,
  testServerUrls,
  uniquePrefix,
} from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAlerts } from './alert-store.js';
import { type RunningTestAlerter, startTestAlerter } from './alerter-start.test-helper.js';

/*
 * The calendar's integrity as the alerter judges it, with rounds crafted and signed by the test
 * (the real calendar never publishes these; an attacker or a bug might): a duplicate, a rewrite, a
 * gap, time going backwards, a checkpoint of another key, and a checkpoint with the wrong root.
 */
const prefix = uniquePrefix();
const hasher = nodeHasher();
const logKey = generateNoteKey('calendar.test', new Uint8Array(32).fill(9));
const signer = parseSignerKey(logKey.signerKey);
const otherSigner = parseSignerKey(generateNoteKey('calendar.test', new Uint8Array(32).fill(8)).signerKey);
let database: FreshDatabase;
let nc: NatsConnection;
let workDir: string;
let alerter: RunningTestAlerter;
const range = new CompactRange(hasher);
const seals = FIRST_SEAL_SEQUENCE; // round 0's seals_start; every round here is empty

beforeAll(async () => {
  const { natsUrl, databaseUrl } = testServerUrls();
  database = await createFreshDatabase(databaseUrl, 'alerter_rounds');
  workDir = await mkdtemp(join(tmpdir(), 'msi-alerter-rounds-'));
  const policyFile = join(workDir, 'policy.yaml');
  await writeFile(
    policyFile,
    await readFile(join(repositoryRoot(), 'services/alerter/policies/default.yaml')),
  );
  nc = await connectNats({ servers: natsUrl, name: 'alerter-rounds-test' });
  alerter = await startTestAlerter({
    nc,
    databaseUrl: database.url,
    prefix,
    calendarKey: formatVerifierKey(verifierKeyOf(signer)),
    policyFile,
    credentials: CredentialStore.fromJson('{"credentials":[]}'),
    secretFromEnv: () => undefined,
    hasher,
    ed25519: nodeEd25519(),
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ service: 'alerter-test', level: 'error' }),
  });
}, 60_000);

afterAll(async () => {
  await alerter?.stop();
  await nc?.close();
  await database?.drop();
  await deleteNatsNamespace(testServerUrls().natsUrl, prefix);
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

function round(k: number, closedAtMs: number): RoundRecord {
  return {
    round: k,
    closedAt: closedAtMs * 1000,
    intervalMs: 1000,
    sealsStart: seals,
    sealsEnd: seals,
    sealCount: 0,
    root: hasher.emptyRoot(),
  };
}

/** Publishes round `record` with a checkpoint; `advance` appends its leaf to the test's own view. */
async function publish(
  record: RoundRecord,
  options: { advance: boolean; signWith?: typeof signer; root?: Uint8Array },
) {
  const bytes = encodeRound(record);
  const view = range.clone();
  view.append(roundLeafHash(hasher, bytes));
  if (options.advance) range.append(roundLeafHash(hasher, bytes));
  const checkpoint = signCheckpoint(
    { origin: 'calendar.test', size: view.size, root: options.root ?? view.root(), extensions: [] },
    options.signWith ?? signer,
  );
  await jetstream(nc).publish(
    subjectsFor(prefix).rounds,
    streamV1.RoundAnchored.encode({ version: 1, round: Buffer.from(bytes), checkpoint, seals: [] }).finish(),
  );
  return bytes;
}

const rulesRaised = async () => (await listAlerts(alerter.pool, {}, 0, 100)).map((a) => a.rule).sort();

describe('calendar integrity', () => {
  const t0 = Date.now();

  it('consistent rounds raise nothing', async () => {
    await publish(round(0, t0), { advance: true });
    await publish(round(1, t0 + 1000), { advance: true });
    await eventually('two rounds applied', async () => {
      const { rows } = await alerter.pool.query('SELECT size FROM alerter.calendar');
      return Number(rows[0].size) === 2 ? true : undefined;
    });
    expect(await rulesRaised()).toEqual([]);
  });

  it('a round published twice is a duplicate; the same k with another leaf is a rewrite', async () => {
    await publish(round(1, t0 + 1000), { advance: false });
    await publish(round(1, t0 + 1500), { advance: false });
    await eventually('duplicate and rewrite', async () => {
      const rules = await rulesRaised();
      return rules.includes('calendar-duplicate-leaf') && rules.includes('calendar-rewrite')
        ? true
        : undefined;
    });
  });

  it('a checkpoint signed by another key, or naming another root, is critical', async () => {
    await publish(round(2, t0 + 2000), { advance: true, signWith: otherSigner });
    await publish(round(3, t0 + 3000), { advance: true, root: new Uint8Array(32).fill(1) });
    const alerts = await eventually('checkpoint alerts', async () => {
      const all = await listAlerts(alerter.pool, {}, 0, 100);
      const found = all.filter(
        (a) => a.rule === 'checkpoint-invalid' || a.rule === 'checkpoint-inconsistent',
      );
      return found.length >= 2 ? found : undefined;
    });
    expect(alerts.every((a) => a.severity === 'critical')).toBe(true);
  });

  it('closed_at going backwards, then a gap in k', async () => {
    await publish(round(4, t0 + 2500), { advance: true });
    await publish(round(7, t0 + 9000), { advance: false });
    const rules = await eventually('time and gap alerts', async () => {
      const r = await rulesRaised();
      return r.includes('calendar-time-backwards') && r.includes('calendar-gap') ? r : undefined;
    });
    expect(rules).toContain('calendar-gap');
  });

  it('a missing round arriving after a later one is out of order (not a rewrite)', async () => {
    await publish(round(5, t0 + 5000), { advance: false });
    await eventually('out-of-order alert', async () =>
      (await rulesRaised()).includes('calendar-out-of-order') ? true : undefined,
    );
    expect((await rulesRaised()).filter((r) => r === 'calendar-rewrite')).toHaveLength(1);
  });
});
