// The README's auditor walk-through, run with the real `msi` CLI against the real pipeline and
// verifier: emit → receipt → verify offline → tamper / wrong key → extend → history.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatVerifierKey, generateNoteKey, parsePublication, verifierKeyOf } from '@msi/core';
import { readSubject, streamNamesFor, subjectsFor } from '@msi/nats';
import { eventually, useWorld } from '@msi/testkit';
import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { type MsiRun, runMsi } from './run-msi.js';

const ACME = 'walkthrough-acme-key';
const world = useWorld({
  label: 'walkthrough',
  nats: true,
  pipeline: {
    verifier: true,
    witnesses: ['witness-a'],
    extraEnv: { calendar: { MSI_CALENDAR_PUBLICATION_INTERVAL_MS: '2000' } },
    apiKeys: [{ key: ACME, tenant: 'acme', principal: 'acme-pipeline', roles: ['emitter', 'auditor'] }],
  },
});

const msi = (args: readonly string[]): Promise<MsiRun> =>
  runMsi(args, {
    MSI_INGEST_ADDRESS: world.pipeline.ingestAddress,
    MSI_VERIFIER_ADDRESS: world.pipeline.verifierAddress ?? '',
    MSI_API_KEY: ACME,
  });

describe("the README's auditor walk-through (msi CLI, real pipeline and verifier)", () => {
  it('emits, fetches a receipt, verifies it offline, catches tampering, extends it and shows the history', async () => {
    const { pipeline, prefix, workDir } = world;
    const data = join(workDir, 'export.csv');
    await writeFile(data, 'quarterly customer export\n');
    const emitted = await msi([
      'emit',
      '--insecure',
      '--kind',
      'STORE',
      '--data-file',
      data,
      '--actor',
      'alice',
      '--destination',
      's3/eu-west-1/bucket-a',
      '--attr',
      'classification=pii',
    ]);
    expect(emitted.status, emitted.stderr).toBe(0);
    const ack = JSON.parse(emitted.stdout.trim()) as { eventId: string; durable: boolean };
    expect(ack.durable).toBe(true);

    const fetched = await msi(['receipt', ack.eventId, '--insecure', '--wait', '--timeout', '30']);
    expect(fetched.status, fetched.stderr).toBe(0);
    const receiptFile = join(workDir, 'receipt.json');
    await writeFile(receiptFile, fetched.stdout);

    const verified = await msi(['verify', receiptFile, '--key', pipeline.verifierKey]);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`^VALID event ${ack.eventId} +STORE acme sha256:`));

    // Any change to the receipt fails, naming the step; so does another key.
    const receipt = JSON.parse(fetched.stdout) as { eventProof: { leafIndex: number } };
    const tampered = fetched.stdout.replace(
      `"leafIndex":${receipt.eventProof.leafIndex},`,
      `"leafIndex":${receipt.eventProof.leafIndex + 1},`,
    );
    expect(tampered).not.toBe(fetched.stdout);
    await writeFile(join(workDir, 'tampered.json'), tampered);
    const failed = await msi(['verify', join(workDir, 'tampered.json'), '--key', pipeline.verifierKey]);
    expect(failed.status).toBe(1);
    expect(failed.stdout + failed.stderr).toMatch(/INVALID EVENT_PROOF_INVALID/);
    const otherKey = formatVerifierKey(
      verifierKeyOf(generateNoteKey('msi.dev/calendar', new Uint8Array(32).fill(7)).signer),
    );
    const untrusted = await msi(['verify', receiptFile, '--key', otherKey]);
    expect(untrusted.status).toBe(1);
    expect(untrusted.stdout + untrusted.stderr).toMatch(/INVALID UNTRUSTED_KEY/);

    await new Promise((resolve) => setTimeout(resolve, 1500)); // a few more rounds to extend to
    const extendedFile = join(workDir, 'receipt-extended.json');
    const extended = await msi([
      'extend',
      receiptFile,
      '--insecure',
      '--key',
      pipeline.verifierKey,
      '-o',
      extendedFile,
    ]);
    expect(extended.status, extended.stderr).toBe(0);
    const reverified = await msi(['verify', extendedFile, '--key', pipeline.verifierKey]);
    expect(reverified.status, reverified.stderr).toBe(0);
    expect(reverified.stdout).toMatch(/extended to @\d+/);
    expect(JSON.parse(await readFile(extendedFile, 'utf8'))).toHaveProperty('extension');

    const imprint = verified.stdout.match(/(sha256:[0-9a-f]{64})/)?.[1];
    expect(imprint).toBeDefined();
    // The witness cosigns checkpoints as they come; a receipt fetched a little later carries its
    // cosignature and verifies with a quorum of 1 (and not of 2: there is one witness).
    const witness = pipeline.witnesses[0]?.verifierKey ?? '';
    const cosigned = await eventually(
      "a receipt with the witness's cosignature",
      async () => {
        const again = await msi(['receipt', ack.eventId, '--insecure']);
        await writeFile(join(workDir, 'cosigned.json'), again.stdout);
        const verifiedWithQuorum = await msi([
          'verify',
          join(workDir, 'cosigned.json'),
          '--key',
          pipeline.verifierKey,
          '--witness',
          witness,
          '--quorum',
          '1',
        ]);
        if (verifiedWithQuorum.status !== 0) {
          throw new Error(`not yet: ${verifiedWithQuorum.stdout}${verifiedWithQuorum.stderr}`);
        }
        return verifiedWithQuorum;
      },
      { timeoutMs: 20_000 },
    );
    expect(cosigned.status, cosigned.stdout + cosigned.stderr).toBe(0);
    expect(cosigned.stdout).toMatch(/witnesses: witness-a@/);

    // A publication (printable checkpoint) made after the event's round: extend the receipt to it
    // and verify against the publication alone — no key at all.
    const publicationFile = join(workDir, 'publication.txt');
    const round = Number(/round (\d+)/.exec(verified.stdout)?.[1]);
    const publication = await eventually(
      `a publication after round ${round}`,
      async () => {
        const messages = await readSubject(
          jetstream(world.nc),
          streamNamesFor(prefix).publications,
          subjectsFor(prefix).publications,
        );
        return messages
          .map((m) => new TextDecoder().decode(m.data))
          .find((text) => parsePublication(text).checkpoint.size > round);
      },
      { timeoutMs: 20_000 },
    );
    expect(publication).toBeDefined();
    await writeFile(publicationFile, publication);
    const toPublication = join(workDir, 'receipt-published.json');
    const extendedToPublication = await msi([
      'extend',
      receiptFile,
      '--insecure',
      '--publication',
      publicationFile,
      '-o',
      toPublication,
    ]);
    expect(extendedToPublication.status, extendedToPublication.stderr).toBe(0);
    const keyless = await msi(['verify', toPublication, '--publication', publicationFile]);
    expect(keyless.status, keyless.stdout + keyless.stderr).toBe(0);
    expect(keyless.stdout).toMatch(/published \d{4}-\d\d-\d\dT/);

    const history = await msi(['history', imprint ?? '', '--insecure', '--key', pipeline.verifierKey]);
    expect(history.status, history.stderr).toBe(0);
    expect(history.stdout).toContain(ack.eventId);
    expect(history.stdout).toMatch(/VALID/);
  });
});
