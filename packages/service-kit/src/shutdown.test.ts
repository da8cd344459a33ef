import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// A service as main.ts runs it (a timer stands for its servers): wait for shutdownSignal, say how it
// ended, stop its work; then nothing — the IPC channel included — may keep the process alive.
const SCRIPT = (module: string) => `
import { shutdownSignal } from ${JSON.stringify(module)};
const work = setInterval(() => {}, 1000);
const stopped = shutdownSignal(() => {}); // handlers first: 'ready' lets the test send its signal
process.stdout.write('ready\\n');
const signal = await stopped;
process.stdout.write('stopping on ' + signal + '\\n');
clearInterval(work);
`;

async function runService(
  trigger: (child: ReturnType<typeof fork>) => void,
): Promise<{ out: string; code: number | null }> {
  const dir = await mkdtemp(join(tmpdir(), 'msi-shutdown-'));
  try {
    const file = join(dir, 'service.mjs');
    const module = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'shutdown.js')).href;
    await writeFile(file, SCRIPT(module));
    const child = fork(file, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += String(chunk);
      if (out === 'ready\n') trigger(child);
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { out, code };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('shutdownSignal', () => {
  it('resolves on SIGTERM', async () => {
    const { out, code } = await runService((child) => child.kill('SIGTERM'));
    expect(out).toBe('ready\nstopping on SIGTERM\n');
    expect(code).toBe(0);
  });

  it('resolves when the supervisor’s IPC channel closes (the supervisor died), and the channel does not keep it alive', async () => {
    const { out, code } = await runService((child) => child.disconnect());
    expect(out).toBe('ready\nstopping on SIGTERM\n');
    expect(code).toBe(0);
  });
});
