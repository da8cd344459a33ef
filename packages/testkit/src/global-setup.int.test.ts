// Every way a test run ends stops the embedded servers its global setup started. The global setup
// runs in a child process (as vitest runs it in its main process) without NATS_URL / DATABASE_URL,
// so it starts an embedded nats-server and Postgres; then the child ends one way or another and no
// process of those servers may remain. As plain children, a nats-server outlived a run that ended
// without its teardown (SIGTERM, vitest's process.exit()) for good.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';

const GLOBAL_SETUP = pathToFileURL(fileURLToPath(new URL('../dist/global-setup.js', import.meta.url))).href;

type Ending =
  | 'a failing run (teardown, exit code 1)'
  | 'process.exit() without the teardown'
  | 'Ctrl-C (SIGINT to its process group)'
  | 'SIGTERM'
  | 'SIGKILL';

/**
 * The child: runs the global setup, prints what it provided, and once told to (a line on stdin,
 * after the parent saw the servers up) ends as `ending` says, or waits to be signalled.
 */
function childScript(ending: Ending): string {
  return `
    const { default: setup } = await import(${JSON.stringify(GLOBAL_SETUP)});
    const provided = {};
    const teardown = await setup({ provide: (key, value) => { provided[key] = value; } });
    process.stdout.write('PROVIDED ' + JSON.stringify(provided) + '\\n');
    const ending = ${JSON.stringify(ending)};
    process.stdin.once('data', async () => {
      if (ending.startsWith('a failing run')) {
        await teardown();
        process.exitCode = 1;
        process.stdin.destroy();
      } else if (ending.startsWith('process.exit')) process.exit(1);
    });
  `;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes whose command line names `port` (`-p <port>`, or a keeper's spec with it). */
async function processesOn(port: number): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^[0-9]+$/.test(name))) {
    const args = await readFile(`/proc/${pid}/cmdline`, 'utf8').then(
      (text) => text.split('\0'),
      () => [],
    );
    const named = args.some(
      (arg, i) => (arg === '-p' && args[i + 1] === String(port)) || arg.includes(`"port":${port}`),
    );
    if (named) found.push(`${pid} ${args.join(' ').slice(0, 160)}`);
  }
  return found;
}

/** Runs the global setup in a child, ends it as `ending` says; resolves with the servers' ports. */
async function runEnding(ending: Ending): Promise<number[]> {
  const { NATS_URL: _nats, DATABASE_URL: _database, ...env } = process.env;
  const child = spawn(process.execPath, ['--input-type=module', '-e', childScript(ending)], {
    env,
    detached: true, // its own process group, as a terminal's foreground job
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const provided = await eventually(
    'the global setup to start its servers',
    () => {
      const line = output.split('\n').find((l) => l.startsWith('PROVIDED '));
      if (line === undefined && child.exitCode !== null) throw new Error(`the child exited: ${output}`);
      return line === undefined
        ? undefined
        : (JSON.parse(line.slice('PROVIDED '.length)) as { natsUrl: string; databaseUrl: string });
    },
    { timeoutMs: 150_000 },
  );
  const ports = [Number(new URL(provided.natsUrl).port), Number(new URL(provided.databaseUrl).port)];
  for (const port of ports) expect(await portOpen(port), `port ${port} after the setup`).toBe(true);
  expect((await processesOn(ports[0] ?? 0)).length).toBeGreaterThan(0);
  child.stdin?.write('end\n');
  const pid = child.pid ?? 0;
  if (ending === 'Ctrl-C (SIGINT to its process group)') process.kill(-pid, 'SIGINT');
  if (ending === 'SIGTERM' || ending === 'SIGKILL') child.kill(ending);
  await exited(child);
  return ports;
}

const embedded = !existsSync('/var/run/docker.sock') && (process.env.DOCKER_HOST ?? '') === '';

describe.skipIf(!embedded)('the test servers stop however the test run ends', () => {
  it.each<Ending>([
    'a failing run (teardown, exit code 1)',
    'process.exit() without the teardown',
    'Ctrl-C (SIGINT to its process group)',
    'SIGTERM',
    'SIGKILL',
  ])(
    '%s',
    async (ending) => {
      const ports = await runEnding(ending);
      await eventually(
        `no server of the run left on ports ${ports.join(', ')}`,
        async () => {
          const left: string[] = [];
          for (const port of ports) {
            if (await portOpen(port)) left.push(`port ${port} still open`);
            left.push(...(await processesOn(port)));
          }
          if (left.length > 0) throw new Error(`still running: ${left.join('; ')}`);
          return true;
        },
        { timeoutMs: 60_000 },
      );
    },
    240_000,
  );
});
