// The agent against the real stack (NATS, Postgres, calendar, aggregator, ingest and verifier as
// processes), on real files in a temporary directory: baseline with a receipt per file; create,
// modify, delete, rename and chmod each detected by the watch; a change made while the agent was
// stopped found at start; ingest away while files change and the agent restarts: nothing lost, the
// spooled events sent again with their ids; the state of a path before and after a change, proven
// offline.
import { chmod, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileReceiptStore } from '@msi/client';
import { ReceiptVerifier } from '@msi/client/verify';
import { parseVerifierKey } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { createLogger } from '@msi/service-kit';
import { eventually, useWorld } from '@msi/testkit';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from './agent-config.js';
import { type OpenAgent, openAgent, receiptDirOf } from './open-agent.js';
import { proveState } from './prove-state.js';
import { type IndexEntry, readIndexOf } from './state-index.js';

const API_KEY = 'agent-test-key';
const HOST = 'web-1';
const world = useWorld({
  label: 'agent',
  pipeline: {
    apiKeys: [{ key: API_KEY, tenant: 'acme', principal: 'web-1-agent', roles: ['emitter', 'auditor'] }],
    verifier: true,
  },
});

interface Site {
  readonly files: string;
  readonly state: string;
  open(tuning?: { retryGiveUpMs?: number }): Promise<OpenAgent>;
}

async function site(name: string, spoolMax = '64MiB'): Promise<Site> {
  const files = join(world.workDir, name, 'files');
  const state = join(world.workDir, name, 'state');
  await mkdir(files, { recursive: true });
  const config = parseAgentConfig(`version: 1
host: ${HOST}
watch:
  - path: ${files}
    class: config
ignore: ["*.swp"]
rescan_interval: 1h
state_dir: ${state}
spool: { max_size: ${spoolMax} }
ingest:
  address: ${world.pipeline.ingestAddress}
  verifier: ${world.pipeline.verifierAddress}
  insecure: true
  log_keys: ["${world.pipeline.verifierKey}"]
`);
  const log = createLogger({
    service: 'agent',
    level: 'info',
    write: (line) => world.logs.push(`agent | ${line}`),
  });
  return {
    files,
    state,
    open: (tuning = {}) =>
      openAgent({
        config,
        host: HOST,
        apiKey: API_KEY,
        log,
        nowMs: Date.now,
        tuning: {
          settleMs: 20,
          resendMs: 300,
          aggregationMs: 200,
          retryGiveUpMs: tuning.retryGiveUpMs ?? 30_000,
        },
      }),
  };
}

const verifier = () =>
  new ReceiptVerifier(
    { logKeys: [parseVerifierKey(world.pipeline.verifierKey)], witnessKeys: [], quorum: 0, strict: true },
    { hasher: nodeHasher(), ed25519: nodeEd25519() },
  );

async function prove(s: Site, path: string, atUs: number) {
  const store = new FileReceiptStore(receiptDirOf(s.state));
  try {
    return await proveState(await readIndexOf(s.state, path), {
      path,
      host: HOST,
      atUs,
      store,
      verifier: verifier(),
    });
  } finally {
    await store.close();
  }
}

const lastChange = (open: OpenAgent, path: string) => open.index.last(path)?.change;
const detail = () => world.logTail(30);

describe('the agent', () => {
  it('baselines every file in aggregate, then reports each kind of change on its own, chained', async () => {
    const s = await site('watch');
    await writeFile(join(s.files, 'a.conf'), 'listen 80;\n');
    await writeFile(join(s.files, 'same.conf'), 'listen 80;\n'); // identical content: the same imprint
    await writeFile(join(s.files, 'b.conf'), 'worker 4;\n');
    await writeFile(join(s.files, 'c.conf'), 'gone soon\n');
    await writeFile(join(s.files, 'edit.swp'), 'ignored');
    await symlink('a.conf', join(s.files, 'link.conf'));
    const open = await s.open();
    try {
      const baseline = await open.agent.start();
      expect(baseline).toEqual({ changes: 0, aggregated: 5, refused: 0 });
      await open.client.anchored();
      const a = join(s.files, 'a.conf');
      const baselined = open.index.last(a) as IndexEntry;
      expect(baselined).toMatchObject({ change: 'baseline', kind: 'STATE' });
      expect(open.index.last(join(s.files, 'same.conf'))?.state.hash).toBe(baselined.state.hash);
      expect(open.index.last(join(s.files, 'link.conf'))?.state.link).toBe('a.conf');
      expect(open.index.last(join(s.files, 'edit.swp'))).toBeUndefined();
      const proofOfBaseline = await prove(s, a, baselined.atUs);
      expect(proofOfBaseline.proven.map((p) => p.receipt.version)).toEqual([2]);

      // each kind of change, seen by the watch (the rescan is an hour away)
      await writeFile(join(s.files, 'new.conf'), 'new\n');
      await eventually('create detected', () => lastChange(open, join(s.files, 'new.conf')) === 'created', {
        detail,
      });
      await writeFile(a, 'listen 8080;\n');
      await eventually('modify detected', () => lastChange(open, a) === 'modified', { detail });
      await chmod(join(s.files, 'b.conf'), 0o600);
      await eventually('chmod detected', () => lastChange(open, join(s.files, 'b.conf')) === 'metadata', {
        detail,
      });
      await rm(join(s.files, 'c.conf'));
      await eventually('delete detected', () => lastChange(open, join(s.files, 'c.conf')) === 'deleted', {
        detail,
      });
      await rename(join(s.files, 'new.conf'), join(s.files, 'renamed.conf'));
      await eventually(
        'rename detected',
        () =>
          lastChange(open, join(s.files, 'new.conf')) === 'deleted' &&
          lastChange(open, join(s.files, 'renamed.conf')) === 'created',
        { detail },
      );
      await open.agent.settled();
      expect(open.spool.outstanding).toEqual([]);
      await open.client.anchored();

      const modified = open.index.last(a) as IndexEntry;
      expect(modified.state.mode).toBe(baselined.state.mode);
      // before the change: the baseline's hash; from the change on: the new one, each proven offline
      const before = await prove(s, a, modified.atUs - 1);
      expect(before.last?.state.hash).toBe(baselined.state.hash);
      expect(before.next?.id).toBe(modified.id);
      const after = await prove(s, a, modified.atUs);
      expect(after.last?.state.hash).toBe(modified.state.hash);
      const changeReceipt = after.proven[0]?.receipt;
      expect(changeReceipt?.version).toBe(1);
      const attributes = Object.fromEntries(
        (changeReceipt?.event.attributes ?? []).map((x) => [x.key, x.value]),
      );
      expect(attributes).toMatchObject({
        'file.path': a,
        'file.change': 'modified',
        'file.previous': baselined.state.hash,
        'file.class': 'config',
      });
      // the change names the path's previous event (the aggregated baseline) as its parent
      expect(changeReceipt?.event.parents.length).toBe(1);
      const deleted = await prove(s, join(s.files, 'c.conf'), Number.MAX_SAFE_INTEGER);
      expect(deleted.last).toMatchObject({ kind: 'DELETE', change: 'deleted' });
      expect(deleted.proven[0]?.receipt.event.kind).toBe('DELETE');
    } finally {
      await open.close();
    }
  });

  it('finds at start what changed while it was stopped', async () => {
    const s = await site('stopped');
    await writeFile(join(s.files, 'x.conf'), 'one\n');
    const first = await s.open();
    await first.agent.start();
    await first.close();
    await writeFile(join(s.files, 'x.conf'), 'two\n');
    await writeFile(join(s.files, 'y.conf'), 'new while stopped\n');
    const second = await s.open();
    try {
      const summary = await second.agent.start();
      expect(summary.changes).toBe(2);
      expect(lastChange(second, join(s.files, 'x.conf'))).toBe('modified');
      expect(lastChange(second, join(s.files, 'y.conf'))).toBe('created');
      await second.agent.settled();
    } finally {
      await second.close();
    }
  });

  it('loses nothing while ingest is away, across a restart of the agent (same event ids)', async () => {
    const s = await site('outage');
    await writeFile(join(s.files, 'p.conf'), 'p0\n');
    const first = await s.open({ retryGiveUpMs: 2000 });
    await first.agent.start();
    await first.agent.settled();
    const ingest = world.pipeline.process('ingest');
    await ingest.stop();
    let restarted = false;
    try {
      await writeFile(join(s.files, 'p.conf'), 'p1\n');
      await writeFile(join(s.files, 'q.conf'), 'q1\n');
      await eventually('both changes spooled', () => first.spool.outstanding.length === 2, { detail });
      const spooled = first.spool.outstanding.map((e) => e.id).sort();
      await first.close(); // ingest is still away: the events stay in the spool
      await new Promise((r) => setTimeout(r, 3000));
      ingest.start();
      restarted = true;
      await world.pipeline.waitUntilServing(30_000);
      const second = await s.open();
      try {
        expect(second.spool.outstanding.map((e) => e.id).sort()).toEqual(spooled);
        await second.agent.start();
        await second.agent.settled();
        expect(second.spool.outstanding).toEqual([]);
        await second.client.anchored();
        for (const name of ['p.conf', 'q.conf']) {
          const path = join(s.files, name);
          const proof = await prove(s, path, Number.MAX_SAFE_INTEGER);
          expect(spooled).toContain(proof.chain[0]?.id);
          expect(proof.proven.length).toBeGreaterThan(0);
        }
      } finally {
        await second.close();
      }
    } finally {
      if (!restarted) ingest.start();
    }
  });

  it('stops taking changes when the spool is full, raises the alert, and finds them again by a rescan', async () => {
    const s = await site('full', '200'); // one spooled change fills it
    await writeFile(join(s.files, 'a.conf'), 'a0\n');
    await writeFile(join(s.files, 'b.conf'), 'b0\n');
    const open = await s.open({ retryGiveUpMs: 1000 });
    const ingest = world.pipeline.process('ingest');
    let restarted = false;
    try {
      await open.agent.start();
      await open.agent.settled();
      await ingest.stop();
      await writeFile(join(s.files, 'a.conf'), 'a1\n');
      await eventually('the first change spooled', () => open.spool.full, { detail });
      await writeFile(join(s.files, 'b.conf'), 'b1\n');
      await eventually(
        'the spool refused the second',
        () => world.logs.some((l) => l.includes('the spool is full')),
        {
          detail,
        },
      );
      expect(lastChange(open, join(s.files, 'b.conf'))).toBe('baseline');
      ingest.start();
      restarted = true;
      await world.pipeline.waitUntilServing(30_000);
      await eventually(
        'the refused change found again',
        () => lastChange(open, join(s.files, 'b.conf')) === 'modified',
        {
          detail,
          timeoutMs: 30_000,
        },
      );
      expect(world.logs.some((l) => l.includes('raising the spool-full alert'))).toBe(true);
      await open.agent.settled();
      expect(open.spool.outstanding).toEqual([]);
    } finally {
      if (!restarted) ingest.start();
      await open.close();
    }
  });
});
