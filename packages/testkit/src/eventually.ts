/** A probe's answer: a value, or "not yet" (undefined, null or false). It may also throw: not yet. */
export type ProbeResult<T> = T | undefined | null | false;

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Give up after this long. Default 20 s. */
  readonly timeoutMs?: number;
  /** The first pause between attempts; each next one is 1.5 times longer. Default 25 ms. */
  readonly intervalMs?: number;
  /** The longest pause between attempts. Default 500 ms. */
  readonly maxIntervalMs?: number;
  /** What else to say when it times out, e.g. the last lines the services logged. */
  readonly detail?: () => string;
  /** The clock (milliseconds, monotonic) and the pause; default performance.now and setTimeout. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** `what` did not happen in time; `cause` is the probe's last error, if it threw. */
export class EventuallyTimeoutError extends Error {
  constructor(
    readonly what: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EventuallyTimeoutError';
  }
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until it returns a value (anything but undefined, null or false) and resolves with
 * it. A probe that throws has not succeeded yet: it is called again, and its last error is reported
 * if time runs out. The pauses between attempts start at `intervalMs` and grow 1.5 times up to
 * `maxIntervalMs`; the last attempt is made at the deadline. Rejects with EventuallyTimeoutError
 * naming `what` ("the calendar to be up"), how long it waited, and the probe's last error.
 * The one wait of the test suites: for anything that happens asynchronously in a real server.
 */
export async function eventually<T>(
  what: string,
  probe: () => ProbeResult<T> | Promise<ProbeResult<T>>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? sleepFor;
  const maxIntervalMs = options.maxIntervalMs ?? 500;
  const start = now();
  let interval = Math.min(options.intervalMs ?? 25, maxIntervalMs);
  let attempts = 0;
  let lastError: unknown;
  let threw = false;
  for (;;) {
    attempts++;
    try {
      const value = await probe();
      threw = false;
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error: unknown) {
      threw = true;
      lastError = error;
    }
    const left = start + timeoutMs - now();
    if (left <= 0) throw timedOut(what, now() - start, attempts, threw, lastError, options.detail);
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * 1.5, maxIntervalMs);
  }
}

function timedOut(
  what: string,
  waitedMs: number,
  attempts: number,
  threw: boolean,
  lastError: unknown,
  detail: (() => string) | undefined,
): EventuallyTimeoutError {
  const last = threw
    ? `; the last attempt threw: ${lastError instanceof Error ? lastError.message : String(lastError)}`
    : '';
  const more = detail?.() ?? '';
  return new EventuallyTimeoutError(
    what,
    `timed out after ${Math.round(waitedMs)} ms (${attempts} attempts) waiting for ${what}${last}` +
      (more === '' ? '' : `\n${more}`),
    threw ? { cause: lastError } : undefined,
  );
}
