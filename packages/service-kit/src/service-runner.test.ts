import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A service run by runService the way every main.ts runs one. MSI_TEST_MODE says how it ends; it
// marks what it does on stdout (MARK lines, between the runner's JSON log lines).
const SCRIPT = (module: string) => `
import { ConfigError, runService } from ${JSON.stringify(module)};
const mark = (what) => process.stdout.write('MARK ' + what + '\\n');
const mode = process.env.MSI_TEST_MODE;
await runService({
  name: 'sample',
  load(env) {
    if (mode === 'bad-config') throw new ConfigError(['MSI_TEST_LIMIT="x" must be an integer in [1, 10]']);
    if (mode === 'bad-file') throw new Error('MSI_TEST_KEY_FILE: cannot read /nope');
    return { logLevel: 'info', instance: 'sample-1' };
  },
  async start(ctx) {
    ctx.onStop(() => mark('stop connection'));
    ctx.onStop(async () => { await new Promise((r) => setTimeout(r, 20)); mark('stop loop'); });
    if (mode === 'start-fails') throw new Error('port in use');
    if (mode === 'slow-start') {
      setInterval(() => {}, 1000); // waitForDatabase's timer, retrying a database that never answers
      mark('waiting');
      await new Promise(() => {});
    }
    const work = setInterval(() => {}, 1000);
    let failed;
    if (mode === 'parts-fail') failed = new Promise((_, reject) => setTimeout(() => reject(new Error('refuses to append')), 10));
    if (mode === 'fatal') setTimeout(() => ctx.fail(new Error('lost the lock')), 10);
    if (mode === 'throws-later') setTimeout(() => { throw new Error('a bug'); }, 10);
    mark('ready');
    return { failed, async stop() { clearInterval(work); mark('stop parts'); } };
  },
});
`;

let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-runner-'));
  file = join(dir, 'service.mjs');
  await writeFile(file, SCRIPT(pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

interface Run {
  readonly marks: string[];
  readonly logs: Record<string, unknown>[];
  readonly stderr: string;
  readonly code: number | null;
}

async function run(
  mode: string,
  onReady?: (child: ReturnType<typeof fork>) => void,
  env: Record<string, string> = {},
): Promise<Run> {
  const child = fork(file, [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, MSI_TEST_MODE: mode, ...env },
  });
  let out = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    out += String(chunk);
    if (out.includes('MARK ready\n') && onReady !== undefined) {
      const ready = onReady;
      onReady = undefined;
      ready(child);
    }
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const lines = out.split('\n').filter((l) => l !== '');
  return {
    marks: lines.filter((l) => l.startsWith('MARK ')).map((l) => l.slice(5)),
    logs: lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr,
    code,
  };
}

const STOPPED_IN_ORDER = ['ready', 'stop parts', 'stop loop', 'stop connection'];

// Each case starts a Node process: generous timeouts for a loaded machine.
describe('runService', { timeout: 30_000 }, () => {
  it('SIGTERM: stops the parts, then what was registered last first; exit 0', async () => {
    const r = await run('ok', (child) => child.kill('SIGTERM'));
    expect(r.marks).toEqual(STOPPED_IN_ORDER);
    expect(r.logs.map((l) => l.msg)).toEqual(['stopping', 'stopped']);
    expect(r.logs[0]).toMatchObject({
      level: 'info',
      service: 'sample',
      instance: 'sample-1',
      signal: 'SIGTERM',
    });
    expect(r.code).toBe(0);
  });

  it('the supervisor’s IPC channel closing stops it like SIGTERM', async () => {
    const r = await run('ok', (child) => child.disconnect());
    expect(r.marks).toEqual(STOPPED_IN_ORDER);
    expect(r.code).toBe(0);
  });

  it('a signal while it is still starting stops what started; exit 0', async () => {
    const child = fork(file, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, MSI_TEST_MODE: 'slow-start' },
    });
    let out = '';
    let signalled = false;
    child.stdout?.on('data', (chunk) => {
      out += String(chunk);
      if (out.includes('MARK waiting\n') && child.signalCode === null && !signalled) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(out.split('\n').filter((l) => l.startsWith('MARK '))).toEqual([
      'MARK waiting',
      'MARK stop loop',
      'MARK stop connection',
    ]);
    expect(code).toBe(0);
  });

  it('a bad OTEL_* tracing variable is a bad setting too: exit 2 naming it, with the service’s own', async () => {
    const r = await run('bad-config', undefined, { OTEL_TRACES_SAMPLER_ARG: '1.5' });
    expect(r.code).toBe(2);
    expect(r.marks).toEqual([]);
    expect((JSON.parse(r.stderr) as { problems: string[] }).problems).toEqual([
      'MSI_TEST_LIMIT="x" must be an integer in [1, 10]',
      'OTEL_TRACES_SAMPLER_ARG="1.5" must be a number in [0, 1]',
    ]);
  });

  it.each(['bad-config', 'bad-file'])(
    '%s: exit 2 naming the variable on stderr, nothing started',
    async (mode) => {
      const r = await run(mode);
      expect(r.code).toBe(2);
      expect(r.marks).toEqual([]);
      const line = JSON.parse(r.stderr) as { level: string; msg: string; problems: string[] };
      expect(line).toMatchObject({ level: 'error', msg: 'invalid configuration' });
      expect(line.problems.join()).toMatch(mode === 'bad-config' ? /MSI_TEST_LIMIT/ : /MSI_TEST_KEY_FILE/);
    },
  );

  it('a start that throws: what it had started is stopped; exit 1', async () => {
    const r = await run('start-fails');
    expect(r.marks).toEqual(['stop loop', 'stop connection']);
    expect(r.logs[0]).toMatchObject({
      level: 'error',
      msg: 'failed to start',
      error: { message: 'port in use' },
    });
    expect(r.code).toBe(1);
  });

  it.each([
    ['fatal', 'lost the lock'],
    ['parts-fail', 'refuses to append'],
    ['throws-later', 'a bug'],
  ])('%s: a fatal error stops everything in order; exit 1', async (mode, message) => {
    const r = await run(mode);
    expect(r.marks).toEqual(STOPPED_IN_ORDER);
    expect(r.logs[0]).toMatchObject({ level: 'error', msg: 'fatal error: stopping', error: { message } });
    expect(r.code).toBe(1);
  });
});
