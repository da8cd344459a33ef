// msi verify on receipts v2 (docs/PROOFS.md §13): every vector of core's testdata/aggregated-receipts
// gets its verdict from the command, with the vector's trust given as flags.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runRecorded } from './memory-io.test-helper.js';

const DIR = fileURLToPath(new URL('../../core/testdata/aggregated-receipts/', import.meta.url));
interface Vector {
  name: string;
  receipt: string;
  trust: { logKeys: string[]; witnessKeys: string[]; quorum: number; strict: boolean };
  want: string;
  expect?: { leafIndex: number; leafCount: number; submitter: string; round: number };
}
const { receipts } = JSON.parse(readFileSync(`${DIR}vectors.json`, 'utf8')) as { receipts: Vector[] };

function flagsOf(v: Vector): string[] {
  return [
    ...v.trust.logKeys.flatMap((k) => ['--key', k]),
    ...v.trust.witnessKeys.flatMap((k) => ['--witness', k]),
    '--quorum',
    String(v.trust.quorum),
    ...(v.trust.strict ? ['--strict'] : []),
  ];
}

describe('msi verify on receipts v2', () => {
  it.each(receipts.filter((v) => v.trust.logKeys.length > 0).map((v) => [v.name, v] as const))(
    '%s',
    async (_name, v) => {
      const run = await runRecorded(['verify', `${DIR}${v.receipt}`, ...flagsOf(v)]);
      if (v.trust.quorum > v.trust.witnessKeys.length) {
        expect(run.status).toBe(2); // msi verify refuses a quorum it can never meet, before verifying
        expect(run.stderr).toContain('can never be met');
      } else if (v.want === 'VALID') {
        expect(run.status).toBe(0);
        expect(run.stdout).toMatch(
          new RegExp(
            `^VALID aggregated event \\S+  \\w+ acme \\S+  leaf ${v.expect?.leafIndex} of ${v.expect?.leafCount} of root event \\S+ submitted by ${v.expect?.submitter} received \\S+  round ${v.expect?.round} closed `,
          ),
        );
      } else {
        expect(run.status).toBe(1);
        expect(run.stdout.startsWith(`INVALID ${v.want}: `)).toBe(true);
      }
    },
  );

  it('fails on any single-character change of a receipt v2 (strict, every key trusted)', async () => {
    const v = receipts.find((r) => r.name === 'leaf-2-transfer') as Vector;
    const text = readFileSync(`${DIR}${v.receipt}`, 'utf8');
    const dir = await mkdtemp(join(tmpdir(), 'msi-cli-v2-'));
    try {
      const path = join(dir, 'receipt.json');
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: text.length - 2 }),
          fc.integer({ min: 0x20, max: 0x7e }),
          async (at, code) => {
            const replacement = String.fromCharCode(code);
            fc.pre(text[at] !== replacement);
            await writeFile(path, text.slice(0, at) + replacement + text.slice(at + 1));
            const run = await runRecorded(['verify', path, ...flagsOf(v)]);
            // 1: a verdict (INVALID <code>); 2: not JSON any more, an input error
            expect([1, 2]).toContain(run.status);
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('prints the JSON result with the local tree', async () => {
    const v = receipts.find((r) => r.name === 'leaf-3-access') as Vector;
    const run = await runRecorded(['verify', `${DIR}${v.receipt}`, ...flagsOf(v), '--json']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      version: 2,
      event: { kind: 'ACCESS', tenant: 'acme', actor: 'bob', submitter: 'edge-gateway' },
      localTree: { leafIndex: 3, leafCount: 6 },
      round: 1,
    });
  });
});
