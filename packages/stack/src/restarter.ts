import {
  checkRestartPolicy,
  DEFAULT_RESTART_POLICY,
  decideOnExit,
  nextRestart,
  type ProcessExit,
  type RestartPolicy,
} from './restart-policy.js';

/** Time as the restarter sees it: injected, so tests run without the wall clock. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs `run` once after `ms`; returns a function that cancels it. */
  after(ms: number, run: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  after(ms, run) {
    const timer = setTimeout(run, ms);
    return () => clearTimeout(timer);
  },
};

/** What supervision tells the console: a process died, came back, could not, or stays down. */
export type SupervisionEvent =
  /** It exited unasked after running `ranMs`; it is started again in `restartInMs`. */
  | {
      readonly kind: 'died';
      readonly name: string;
      /** Its exit code or signal; undefined for a server whose keeper reported how it died (`detail`). */
      readonly exit: ProcessExit | undefined;
      readonly ranMs: number;
      /** What it said last (its last stderr line), or its keeper's report. */
      readonly detail: string | undefined;
      readonly restartInMs: number;
      /** Failures in a row, this one included. */
      readonly failures: number;
    }
  /** It was started again; `pid` is its new process. */
  | { readonly kind: 'restarted'; readonly name: string; readonly pid: number | undefined }
  /** Starting it again failed; the next try is in `restartInMs`. */
  | {
      readonly kind: 'restart-failed';
      readonly name: string;
      readonly error: string;
      readonly restartInMs: number;
      readonly failures: number;
    }
  /** It exited with status 2 (bad configuration) and is left down; `detail` names the setting. */
  | {
      readonly kind: 'left-down';
      readonly name: string;
      readonly exit: ProcessExit;
      readonly detail: string | undefined;
    };

/** How a supervised process is restarted; with no options, the default policy and clock. */
export interface RestartOptions {
  readonly policy?: RestartPolicy;
  readonly clock?: Clock;
  /** Told about every death and restart (the dev console prints them). */
  readonly onEvent?: (event: SupervisionEvent) => void;
}

export interface RestarterOptions extends RestartOptions {
  readonly name: string;
  /**
   * Starts a new run and resolves with its process id; rejects when it could not start. `signal`
   * aborts when the restarter is halted meanwhile: a long start (a server) should give up then.
   */
  readonly launch: (signal: AbortSignal) => number | undefined | Promise<number | undefined>;
}

/**
 * Keeps one process running: its owner reports each run's start (`started`) and each exit nobody
 * asked for (`exited`); the restarter decides by the policy (restart-policy.ts), waits the backoff on
 * its clock and calls `launch` — or leaves it down after exit status 2. `halt()` (the owner stops it)
 * cancels a pending restart and waits out one under way, so nothing is started during a shutdown.
 */
export class Restarter {
  readonly #options: RestarterOptions;
  readonly #policy: RestartPolicy;
  readonly #clock: Clock;
  #failures = 0;
  #startedAt = 0;
  #halted = false;
  #cancelPending: (() => void) | undefined;
  #inLaunch = false;
  #abort = new AbortController();
  #launching: Promise<void> = Promise.resolve();

  constructor(options: RestarterOptions) {
    this.#options = options;
    this.#policy = checkRestartPolicy(options.policy ?? DEFAULT_RESTART_POLICY);
    this.#clock = options.clock ?? systemClock;
  }

  /** A run began (the first, started by the owner): its length is measured from now. */
  started(): void {
    this.#startedAt = this.#clock.now();
  }

  /**
   * The current run ended unasked, with `exit` (undefined when only `detail` says how: a server's
   * keeper reporting its death); `detail` is what it said last.
   */
  exited(exit: ProcessExit | undefined, detail: string | undefined): void {
    if (this.#halted) return;
    const { name } = this.#options;
    const ranMs = this.#clock.now() - this.#startedAt;
    const decision = decideOnExit(this.#policy, this.#failures, exit, ranMs);
    if (decision.kind === 'leave-down') {
      this.#emit({ kind: 'left-down', name, exit: exit ?? { code: null, signal: null }, detail });
      return;
    }
    this.#failures = decision.failures;
    this.#emit({
      kind: 'died',
      name,
      exit,
      ranMs,
      detail,
      restartInMs: decision.delayMs,
      failures: decision.failures,
    });
    this.#schedule(decision.delayMs);
  }

  /**
   * No more restarts: a pending one is cancelled, one under way is aborted and waited for (its
   * run, if it started anyway, is the owner's to stop). Idempotent.
   */
  async halt(): Promise<void> {
    this.#halted = true;
    this.#cancelPending?.();
    this.#cancelPending = undefined;
    this.#abort.abort();
    await this.#launching;
  }

  /** The owner starts it by hand again: restarts are allowed, the failure count starts over. */
  resume(): void {
    this.#halted = false;
    this.#failures = 0;
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
  }

  /** True while a restart is waiting for its delay or starting. */
  get pending(): boolean {
    return this.#cancelPending !== undefined || this.#inLaunch;
  }

  #schedule(delayMs: number): void {
    this.#cancelPending = this.#clock.after(delayMs, () => {
      this.#cancelPending = undefined;
      if (this.#halted) return;
      this.#inLaunch = true;
      this.#launching = this.#relaunch().finally(() => {
        this.#inLaunch = false;
      });
    });
  }

  async #relaunch(): Promise<void> {
    const { name } = this.#options;
    let pid: number | undefined;
    try {
      pid = await this.#options.launch(this.#abort.signal);
    } catch (error: unknown) {
      if (this.#halted) return;
      const next = nextRestart(this.#policy, this.#failures, 0);
      this.#failures = next.failures;
      this.#emit({
        kind: 'restart-failed',
        name,
        error: error instanceof Error ? error.message : String(error),
        restartInMs: next.delayMs,
        failures: next.failures,
      });
      this.#schedule(next.delayMs);
      return;
    }
    this.started();
    if (!this.#halted) this.#emit({ kind: 'restarted', name, pid });
  }

  #emit(event: SupervisionEvent): void {
    this.#options.onEvent?.(event);
  }
}
