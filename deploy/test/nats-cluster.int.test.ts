import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Runs deploy/nats/nats.conf FOR REAL: three nats-server processes from PATH, each with a temp copy
// of the file whose hosts and ports are rewritten to free loopback ports; everything else (JetStream
// limits, cluster name, route list shape, durability comments) is the deployed file.

const deployDir = join(import.meta.dirname, '..');
const NODES = ['nats-1', 'nats-2', 'nats-3'] as const;

interface Node {
  readonly name: string;
  readonly client: number;
  readonly route: number;
  readonly monitor: number;
  process?: ChildProcess;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** deploy/nats/nats.conf with loopback ports and a temp store for one node. */
function rewrite(conf: string, node: Node, nodes: readonly Node[], storeDir: string): string {
  let out = conf
    .replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${node.client}`)
    .replace('http: 0.0.0.0:8222', `http: 127.0.0.1:${node.monitor}`)
    .replace('listen: 0.0.0.0:6222', `listen: 127.0.0.1:${node.route}`)
    .replace('store_dir: /data/jetstream', `store_dir: "${storeDir}"`)
    .replace('max_file_store: 50GB', 'max_file_store: 256MB');
  for (const other of nodes) {
    out = out.replace(`nats-route://${other.name}:6222`, `nats-route://127.0.0.1:${other.route}`);
  }
  return out;
}

async function until<T>(what: string, timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (error: unknown) {
      last = error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (${String(last)})`);
}

describe('deploy/nats/nats.conf: a 3-node JetStream cluster', () => {
  const nodes: Node[] = [];
  let dir = '';
  let nc: NatsConnection | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msi-deploy-nats-'));
    const conf = await readFile(join(deployDir, 'nats/nats.conf'), 'utf8');
    for (const name of NODES) {
      nodes.push({ name, client: await freePort(), route: await freePort(), monitor: await freePort() });
    }
    for (const node of nodes) {
      const file = join(dir, `${node.name}.conf`);
      const text = rewrite(conf, node, nodes, join(dir, node.name));
      // The rewrite must have replaced every deployment-specific address.
      expect(text).not.toMatch(/0\.0\.0\.0|nats-route:\/\/nats-|\/data\/jetstream/);
      await writeFile(file, text);
      node.process = spawn('nats-server', ['-c', file], {
        env: { ...process.env, NATS_SERVER_NAME: node.name },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      node.process.stderr?.resume();
    }
    for (const node of nodes) {
      await until(`${node.name} healthy`, 20_000, async () => {
        const response = await fetch(`http://127.0.0.1:${node.monitor}/healthz?js-enabled-only=true`);
        if (!response.ok) throw new Error(`healthz ${response.status}`);
      });
    }
    nc = await connect({
      servers: nodes.map((n) => `nats://127.0.0.1:${n.client}`),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
  }, 60_000);

  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    for (const node of nodes) node.process?.kill('SIGKILL');
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('replicates an R3 stream and keeps every acked message when the stream leader is killed', async () => {
    if (nc === undefined) throw new Error('not connected');
    const conn = nc;
    // JetStream answers once the routes are up and a meta leader is elected.
    const jsm = await until('JetStream API ready', 30_000, () => jetstreamManager(conn, { timeout: 2000 }));
    const js = jetstream(conn);
    const stream = 'DEPLOY_TEST';
    await until('R3 stream created', 30_000, () =>
      jsm.streams.add({
        name: stream,
        subjects: ['deploy.test.>'],
        num_replicas: 3,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
      }),
    );
    const info = await until('stream leader and 2 current replicas', 20_000, async () => {
      const i = await jsm.streams.info(stream);
      const current = (i.cluster?.replicas ?? []).filter((r) => r.current).length;
      if (i.cluster?.leader === undefined || current !== 2) throw new Error(`leader/replicas not ready`);
      return i;
    });
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.name).toBe('msi');

    const sent: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const body = `before-${i}`;
      const ack = await js.publish(`deploy.test.${i % 3}`, body, { msgID: body });
      expect(ack.stream).toBe(stream);
      sent.push(body);
    }

    // Kill the stream's leader outright (no lame duck): a quorum of 2 remains.
    const leader = nodes.find((n) => n.name === info.cluster?.leader);
    expect(leader).toBeDefined();
    leader?.process?.kill('SIGKILL');

    for (let i = 0; i < 20; i += 1) {
      const body = `after-${i}`;
      // Retried with the same msgID until a new leader answers: stored once (duplicate window).
      await until('publish after the leader died', 20_000, () =>
        js.publish(`deploy.test.${i % 3}`, body, { msgID: body, timeout: 2000 }),
      );
      sent.push(body);
    }

    const after = await jsm.streams.info(stream);
    expect(after.cluster?.leader).not.toBe(leader?.name);
    expect(after.state.messages).toBe(sent.length);
    const read: string[] = [];
    for (let seq = 1; seq <= sent.length; seq += 1) {
      const message = await jsm.streams.getMessage(stream, { seq });
      read.push(message?.string() ?? '<missing>');
    }
    expect(read).toEqual(sent);
  }, 60_000);
});
