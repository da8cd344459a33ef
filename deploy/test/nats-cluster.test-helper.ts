import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort } from '@msi/testkit';

// Runs deploy/nats/nats.conf FOR REAL: three nats-server processes from PATH, each with a temp copy
// of the file whose hosts and ports are rewritten to free loopback ports; everything else (JetStream
// limits, cluster name, route list shape, authorization) is the deployed file.

const deployDir = join(import.meta.dirname, '..');
const NODES = ['nats-1', 'nats-2', 'nats-3'] as const;

/** The NATS users deploy/nats/nats.conf defines; each password comes from MSI_NATS_<USER>_PASSWORD. */
export const NATS_USERS = ['ingest', 'aggregator', 'calendar', 'verifier', 'alerter', 'admin'] as const;
export type NatsUser = (typeof NATS_USERS)[number];

export interface ClusterNode {
  readonly name: string;
  readonly client: number;
  readonly route: number;
  readonly monitor: number;
  process?: ChildProcess;
}

export interface TestCluster {
  readonly nodes: readonly ClusterNode[];
  readonly passwords: Readonly<Record<NatsUser, string>>;
  /** The client URLs of all three nodes, without credentials. */
  readonly servers: readonly string[];
  /** MSI_NATS_URL for `user`: every node, each carrying the user's name and password. */
  urlFor(user: NatsUser): string;
  stop(): Promise<void>;
}

/** deploy/nats/nats.conf with loopback ports and a temp store for one node. */
function rewrite(conf: string, node: ClusterNode, nodes: readonly ClusterNode[], storeDir: string): string {
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

/**
 * Starts the three nodes with a random password per user in their environment (as the deployment
 * passes them from secrets) and waits until each reports JetStream healthy. Ports are free when
 * chosen, but a test running beside this one may take one before a node binds it: then the cluster
 * is started again on other ports (three attempts).
 */
export async function startTestCluster(): Promise<TestCluster> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startClusterOnce();
    } catch (error: unknown) {
      if (attempt >= 3 || !String(error).includes('address already in use')) throw error;
    }
  }
}

async function startClusterOnce(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'msi-deploy-nats-'));
  const conf = await readFile(join(deployDir, 'nats/nats.conf'), 'utf8');
  const passwords = Object.fromEntries(
    NATS_USERS.map((u) => [u, `p${randomBytes(18).toString('hex')}`]),
  ) as Record<NatsUser, string>;
  const passwordEnv = Object.fromEntries(
    NATS_USERS.map((u) => [`MSI_NATS_${u.toUpperCase()}_PASSWORD`, passwords[u]]),
  );
  const nodes: ClusterNode[] = [];
  for (const name of NODES) {
    nodes.push({ name, client: await freePort(), route: await freePort(), monitor: await freePort() });
  }
  const stderr: string[] = [];
  const stop = async (): Promise<void> => {
    for (const node of nodes) node.process?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const node of nodes) {
      const file = join(dir, `${node.name}.conf`);
      const text = rewrite(conf, node, nodes, join(dir, node.name));
      // The rewrite must have replaced every deployment-specific address.
      if (/0\.0\.0\.0|nats-route:\/\/nats-|\/data\/jetstream/.test(text)) {
        throw new Error(`${node.name}: a deployment address survived the rewrite`);
      }
      await writeFile(file, text);
      node.process = spawn('nats-server', ['-c', file], {
        env: { ...process.env, ...passwordEnv, NATS_SERVER_NAME: node.name },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      node.process.stderr?.on('data', (chunk: Buffer) => {
        stderr.push(`${node.name}: ${chunk.toString()}`);
        if (stderr.length > 50) stderr.shift();
      });
    }
    for (const node of nodes) {
      await eventually(
        `${node.name} healthy`,
        async () => {
          const response = await fetch(`http://127.0.0.1:${node.monitor}/healthz?js-enabled-only=true`);
          if (!response.ok) throw new Error(`healthz ${response.status}`);
          return true;
        },
        { timeoutMs: 20_000 },
      );
    }
  } catch (error: unknown) {
    await stop();
    throw new Error(`the NATS cluster did not start: ${String(error)}\n${stderr.join('')}`);
  }
  return {
    nodes,
    passwords,
    servers: nodes.map((n) => `nats://127.0.0.1:${n.client}`),
    urlFor: (user) => nodes.map((n) => `nats://${user}:${passwords[user]}@127.0.0.1:${n.client}`).join(','),
    stop,
  };
}
