import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyError } from '@msi/policy';
import { createLogger } from '@msi/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PolicyFile } from './policy-file.js';

const VALID = `version: 1
rules:
  - id: pii-out
    description: pii out
    severity: high
    when: { kind: TRANSFER }
`;
let dir: string;
let path: string;
const log = createLogger({ service: 'test', level: 'error' });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-policy-file-'));
  path = join(dir, 'policy.yaml');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PolicyFile', () => {
  it('refuses an invalid first load', async () => {
    await writeFile(path, 'version: 2\n');
    await expect(PolicyFile.load({ path, log, pollMs: 60_000 })).rejects.toBeInstanceOf(PolicyError);
  });

  it('keeps the previous policy when a change is invalid, then takes a valid change', async () => {
    await writeFile(path, VALID);
    const refusals: string[] = [];
    const reloads: string[] = [];
    const file = await PolicyFile.load({
      path,
      log,
      pollMs: 60_000,
      onRefused: (r) => refusals.push(r.message),
      onReload: (p) => reloads.push(p.digest),
    });
    const first = file.policy.digest;
    expect(await file.check()).toBe(false);
    await writeFile(path, VALID.replace('severity: high', 'severity: hot'));
    expect(await file.check()).toBe(false);
    expect(file.policy.digest).toBe(first);
    expect(file.refused?.message).toMatch(/policy\.yaml:5:15 rules\[0\]\.severity/);
    expect(refusals).toHaveLength(1);
    await writeFile(path, VALID.replace('severity: high', 'severity: low'));
    expect(await file.check()).toBe(true);
    expect(file.policy.digest).not.toBe(first);
    expect(file.policy.rules[0]?.severity).toBe('low');
    expect(file.refused).toBeUndefined();
    expect(reloads).toEqual([file.policy.digest]);
    await rm(path);
    expect(await file.check()).toBe(false);
    expect(file.refused?.message).toContain('cannot read');
    expect(file.policy.rules[0]?.severity).toBe('low');
    file.close();
  });

  it('neither refuses nor takes a file caught while it is being written; takes it whole', async () => {
    await writeFile(path, VALID);
    const refusals: string[] = [];
    let writing: string | undefined;
    const file = await PolicyFile.load({
      path,
      log,
      pollMs: 60_000,
      onRefused: (r) => refusals.push(r.message),
      // The writer finishes between the check's two reads.
      settle: async () => {
        if (writing !== undefined) await writeFile(path, writing);
        writing = undefined;
      },
    });
    const whole = VALID.replace('severity: high', 'severity: low');
    await writeFile(path, ''); // truncated: the first read sees an empty file
    writing = whole;
    expect(await file.check()).toBe(false);
    expect(refusals).toEqual([]);
    expect(file.refused).toBeUndefined();
    expect(file.policy.rules[0]?.severity).toBe('high');
    expect(await file.check()).toBe(true); // the next check sees the whole file, twice alike
    expect(file.policy.rules[0]?.severity).toBe('low');
    expect(refusals).toEqual([]);
    file.close();
  });
});
