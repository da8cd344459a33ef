import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WitnessError } from './witness-error.js';
import { WitnessState } from './witness-state.js';

let dir: string;
let path: string;
const root = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-witness-state-'));
  path = join(dir, 'state.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function expectCorrupt(text: string): Promise<void> {
  await writeFile(path, text);
  const error = await WitnessState.open(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WitnessError);
  expect((error as WitnessError).code).toBe('STATE_CORRUPT');
}

describe('WitnessState', () => {
  it('starts empty when the file does not exist', async () => {
    expect((await WitnessState.open(path)).get('log')).toBeUndefined();
  });

  it('persists every commit before resolving and leaves no temporary file', async () => {
    const state = await WitnessState.open(path);
    await state.commit('a', { size: 3, root: root(1) });
    await state.commit('a', { size: 9, root: root(2) });
    expect(state.get('a')).toEqual({ size: 9, root: root(2) });
    expect((await WitnessState.open(path)).get('a')).toEqual({ size: 9, root: root(2) });
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('keeps concurrent commits of different origins', async () => {
    const state = await WitnessState.open(path);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => state.commit(`log${i}`, { size: i, root: root(i) })),
    );
    const reopened = await WitnessState.open(path);
    for (let i = 0; i < 8; i++) expect(reopened.get(`log${i}`)).toEqual({ size: i, root: root(i) });
  });

  it('does not change the state when the write fails', async () => {
    const state = await WitnessState.open(join(dir, 'missing-dir', 'state.json'));
    await expect(state.commit('a', { size: 1, root: root(1) })).rejects.toThrow();
    expect(state.get('a')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{'],
    ['another version', '{"version":2,"logs":{}}'],
    ['no logs', '{"version":1}'],
    ['a negative size', '{"version":1,"logs":{"a":{"size":-1,"root":"AAAA"}}}'],
    ['a short root', '{"version":1,"logs":{"a":{"size":1,"root":"AAAA"}}}'],
    ['null', 'null'],
  ])('refuses to open a state file with %s', async (_, text) => {
    await expectCorrupt(text);
  });
});
