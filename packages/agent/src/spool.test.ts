import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from './agent-event.js';
import { Spool } from './spool.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-spool-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const event = (n: number): AgentEvent => ({
  id: `0190a6c0-0000-7000-8000-${String(n).padStart(12, '0')}`,
  kind: 'STATE',
  data: `sha256:${'ab'.repeat(32)}`,
  actor: 'msi-agent',
  host: 'web-1',
  occurredAtUs: 1_700_000_000_000_000 + n,
  parents: [],
  attributes: { 'file.path': `/w/${n}` },
});

describe('the spool', () => {
  it('gives back after a restart exactly the events not acknowledged, with their ids', async () => {
    const first = (await Spool.open(dir, 1 << 20)).spool;
    await first.append([event(1), event(2), event(3)]);
    await first.ack([event(2).id]);
    await first.close();
    const { spool, cut } = await Spool.open(dir, 1 << 20);
    expect(cut).toBe(0);
    expect(spool.outstanding).toEqual([event(1), event(3)]);
    await spool.ack([event(1).id, event(3).id]);
    expect((await stat(join(dir, 'spool.log'))).size).toBe(0);
    await spool.close();
  });

  it('survives a truncated last record: drops it, keeps the rest and appends after them', async () => {
    const first = (await Spool.open(dir, 1 << 20)).spool;
    await first.append([event(1), event(2)]);
    await first.close();
    const path = join(dir, 'spool.log');
    const whole = await readFile(path);
    const secondStart = whole.indexOf(0x0a) + 1;
    await rm(path);
    await appendFile(path, whole.subarray(0, secondStart + 40)); // the second record cut mid-way
    const { spool, cut } = await Spool.open(dir, 1 << 20);
    expect(cut).toBe(40);
    expect(spool.outstanding).toEqual([event(1)]);
    await spool.append([event(3)]);
    await spool.close();
    expect((await Spool.open(dir, 1 << 20)).spool.outstanding).toEqual([event(1), event(3)]);
  });

  it('refuses new events once full, and takes them again when acknowledged', async () => {
    const { spool } = await Spool.open(dir, 300);
    expect(await spool.append([event(1)])).toBe(true);
    expect(await spool.append([event(2)])).toBe(true);
    expect(spool.full).toBe(true);
    expect(await spool.append([event(3)])).toBe(false);
    await spool.ack([event(1).id, event(2).id]);
    expect(spool.full).toBe(false);
    expect(await spool.append([event(3)])).toBe(true);
    await spool.close();
  });
});
