import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatImprint, imprintOf } from '@msi/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imprintOfFile } from './hash-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-cli-hash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('imprintOfFile', () => {
  it('streams a multi-chunk file to the same imprint as the core computes in one piece', async () => {
    const data = new Uint8Array(2.5 * (1 << 20) + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 11)) & 0xff;
    const path = join(dir, 'big.bin');
    await writeFile(path, data);
    expect(formatImprint(await imprintOfFile(path))).toBe(formatImprint(imprintOf('sha256', data)));
  });

  it('hashes an empty file', async () => {
    const path = join(dir, 'empty.bin');
    await writeFile(path, new Uint8Array(0));
    expect(formatImprint(await imprintOfFile(path))).toBe(
      formatImprint(imprintOf('sha256', new Uint8Array(0))),
    );
  });

  it('names a file it cannot read', async () => {
    await expect(imprintOfFile(join(dir, 'missing.bin'))).rejects.toThrow(
      /cannot read data file .*missing\.bin/,
    );
  });
});
