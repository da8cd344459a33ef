// Runs the real `msi` executable (bin/msi.mjs over dist/) as a child process.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeBase64, formatUuid, receiptToJson } from '@msi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliWorld, logKey, ORIGIN, otherLogKey, witnessA, worldEvent } from './cli-world.test-helper.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/msi.mjs');
const world = buildCliWorld(3, 2);
let dir: string;
let receiptFile: string;

interface Exit {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function msi(...args: string[]): Promise<Exit> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root, timeout: 20_000 });
    return { status: 0, stdout, stderr };
  } catch (error: unknown) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { status: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  // The executable runs the compiled code: build it (incremental, quick when up to date).
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/cli'], {
    cwd: root,
    timeout: 170_000,
  });
  dir = await mkdtemp(join(tmpdir(), 'msi-cli-bin-'));
  receiptFile = await file('receipt.json', `${receiptToJson(world.receipt(3))}\n`);
}, 180_000);
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the msi executable', () => {
  it('verifies a valid receipt: exit 0 and the summary line', async () => {
    const result = await msi(
      'verify',
      receiptFile,
      '--key',
      logKey.verifierKey,
      '--witness',
      witnessA.verifierKey,
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^VALID event ${formatUuid(worldEvent(3).eventId)}  STORE acme sha256:[0-9a-f]{64}  round 1 `,
      ),
    );
    expect(result.stdout).toContain(`checkpoint ${ORIGIN}@3  witnesses: witness.test/a@`);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a mutated receipt with exit 1 and the step code', async () => {
    const receipt = world.receipt(3);
    const seal = new Uint8Array(receipt.seal);
    seal[seal.length - 1] = (seal[seal.length - 1] ?? 0) ^ 1;
    const path = await file('mutated.json', receiptToJson({ ...receipt, seal }));
    const result = await msi('verify', path, '--key', logKey.verifierKey);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^INVALID (SEAL_MALFORMED|EVENT_PROOF_INVALID): /);
  });

  it('rejects another log key with exit 1 UNTRUSTED_KEY, as JSON too', async () => {
    const result = await msi('verify', receiptFile, '--key', otherLogKey.verifierKey, '--json');
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'UNTRUSTED_KEY' });
  });

  it('exits 2 with a clear message for a missing file and for bad JSON', async () => {
    const missing = await msi('verify', join(dir, 'absent.json'), '--key', logKey.verifierKey);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^msi verify: cannot read receipt .*absent\.json: ENOENT/);
    const bad = await msi('verify', await file('bad.json', 'not json'), '--key', logKey.verifierKey);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^msi verify: receipt .*bad\.json is not JSON/);
  });

  it('checks consistency: ok exits 0, a forked calendar exits 1', async () => {
    const old = await file('old.txt', world.checkpointAt(1));
    const proof = await file('proof.json', JSON.stringify(world.consistency(1, 3).map(encodeBase64)));
    const ok = await msi(
      'consistency',
      old,
      await file('new.txt', world.checkpointAt(3)),
      '--key',
      logKey.verifierKey,
      '--proof',
      proof,
    );
    expect(ok).toMatchObject({ status: 0, stdout: `CONSISTENT ${ORIGIN} 1 -> 3\n` });
    const forked = await msi(
      'consistency',
      old,
      await file('fork.txt', world.forkedCheckpointAt(3)),
      '--key',
      logKey.verifierKey,
      '--proof',
      proof,
    );
    expect(forked.status).toBe(1);
    expect(forked.stdout).toMatch(/^INCONSISTENT CONSISTENCY_PROOF_INVALID: /);
  });

  it('exits 3 when ingest cannot be reached', async () => {
    const result = await msi(
      'emit',
      '--server',
      '127.0.0.1:1',
      '--insecure',
      '--kind',
      'STORE',
      '--data',
      `sha256:${'00'.repeat(32)}`,
      '--actor',
      'a',
      '--retry-for',
      '1',
    );
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/^msi emit: cannot reach ingest at 127\.0\.0\.1:1/);
    expect(JSON.parse(result.stdout)).toMatchObject({ failed: true, code: 'TIMEOUT' });
  });
});
