import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Restarter, type RestartOptions } from './restarter.js';

/** A line a supervised process wrote, with the name it runs under. */
export interface ProcessLine {
  readonly name: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

export interface SupervisedProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly onLine: (line: ProcessLine) => void;
  /**
   * Run it in its own process group, so that a terminal's Ctrl-C (sent to the whole foreground
   * group) does not reach it: only stop() and signal() do, so it gets one SIGTERM, not SIGINT and
   * then SIGTERM (which services take as "exit now"). Should this process exit while it still
   * runs (e.g. a forced exit on a second Ctrl-C), it is sent SIGTERM. Default false.
   */
  readonly detached?: boolean;
  /**
   * Start it again when it exits without stop() (a crash, a kill), with backoff; exit status 2 (bad
   * configuration) leaves it down (see restart-policy.ts). Absent: an exit leaves it down, as a test
   * that kills a process on purpose wants.
   */
  readonly restart?: RestartOptions;
}

/** Detached children still running, signalled if this process exits first. */
const detachedChildren = new Set<ChildProcess>();

function signalDetachedChildren(): void {
  for (const child of detachedChildren) child.kill('SIGTERM');
}

/**
 * One child process of the stack: started with its own environment, its output split into lines
 * and handed to `onLine`, stoppable with SIGTERM (then SIGKILL after a grace) or killed with any
 * signal; with `restart`, started again when it exits unasked.
 */
export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<number | null> = Promise.resolve(null);
  private readonly restarter: Restarter | undefined;
  /** The current run's last line on stderr, and on either stream: what it said before it exited. */
  private lastStderr: string | undefined;
  private lastLine: string | undefined;

  constructor(readonly options: SupervisedProcessOptions) {
    this.restarter =
      options.restart === undefined
        ? undefined
        : new Restarter({ ...options.restart, name: options.name, launch: () => this.spawnChild() });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** True while a restart waits for its backoff or is starting. */
  get restarting(): boolean {
    return this.restarter?.pending === true;
  }

  start(): void {
    if (this.running || this.restarting) throw new Error(`${this.options.name} is already running`);
    this.restarter?.resume();
    this.spawnChild();
    this.restarter?.started();
  }

  private spawnChild(): number | undefined {
    this.lastStderr = undefined;
    this.lastLine = undefined;
    const child = spawn(this.options.command, [...this.options.args], {
      cwd: this.options.cwd,
      env: { ...minimalEnv(), ...this.options.env },
      // A detached service gets an IPC channel: when this process dies, even by SIGKILL, the channel
      // closes and the service stops (service-kit's shutdownSignal), so none is left orphaned.
      stdio: this.options.detached === true ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
      detached: this.options.detached === true,
    });
    this.child = child;
    child.channel?.unref();
    if (this.options.detached === true) {
      if (detachedChildren.size === 0) process.once('exit', signalDetachedChildren);
      detachedChildren.add(child);
      child.once('exit', () => {
        detachedChildren.delete(child);
        if (detachedChildren.size === 0) process.off('exit', signalDetachedChildren);
      });
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (source === null) continue;
      createInterface({ input: source }).on('line', (line) => {
        if (line.trim() !== '') {
          this.lastLine = line;
          if (stream === 'stderr') this.lastStderr = line;
        }
        this.options.onLine({ name: this.options.name, stream, line });
      });
    }
    this.exitPromise = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    // 'close' comes after 'exit' once its output is read to the end: its last line is known.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.child === child) this.restarter?.exited({ code, signal }, this.lastStderr ?? this.lastLine);
    });
    return child.pid;
  }

  /** Sends `signal` (SIGKILL, SIGSTOP, SIGCONT, …) without waiting. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it has exited. A
   * restart waiting for its backoff is cancelled: nothing is started again until start().
   */
  async stop(graceMs = 10_000): Promise<void> {
    await this.restarter?.halt();
    if (!this.running) return;
    this.child?.kill('SIGCONT'); // a stopped process cannot handle SIGTERM
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  exited(): Promise<number | null> {
    return this.exitPromise;
  }
}

/** PATH and the like, without leaking the caller's MSI_* settings into a child. */
function minimalEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('MSI_')) env[key] = value;
  }
  return env;
}
