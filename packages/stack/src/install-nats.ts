import { spawnSync } from 'node:child_process';

/** What to do when nats-server is missing: install it with apt-get, or explain how. */
export type NatsInstallPlan =
  | { readonly kind: 'apt-get' }
  | { readonly kind: 'explain'; readonly message: string };

const HOW =
  'nats-server is not on PATH. Install it (Debian/Ubuntu: `sudo apt-get install nats-server`; elsewhere: ' +
  'https://docs.nats.io/running-a-nats-service/introduction/installation), or set MSI_NATS_URL to a server with JetStream.';

/** Pure: apt-get only as root on a machine that has it; otherwise the exact instructions. */
export function planNatsInstall(facts: {
  readonly isRoot: boolean;
  readonly hasAptGet: boolean;
}): NatsInstallPlan {
  if (facts.isRoot && facts.hasAptGet) return { kind: 'apt-get' };
  return { kind: 'explain', message: HOW };
}

/**
 * Development mode only (`npm start`): installs Debian's nats-server package when it is missing and
 * this process may (root, apt-get present); otherwise throws with the instructions. Logs through `say`.
 */
export function installNatsServer(say: (line: string) => void): void {
  const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  const plan = planNatsInstall({ isRoot: process.getuid?.() === 0, hasAptGet });
  if (plan.kind === 'explain') throw new Error(plan.message);
  say(
    'nats-server is missing: installing the Debian package (apt-get update && apt-get install -y nats-server)…',
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'nats-server']]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0)
      throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.status}). ${HOW}`);
  }
}
