/**
 * When a supervised process — a service, or the keeper of an embedded server — that exited without
 * being asked to is started again. Pure: the restarter (restarter.ts) owns the timers and the clock.
 *
 * The delay doubles with each failure in a row, from `initialDelayMs` up to `maxDelayMs`; a run that
 * lasted `healthyAfterMs` or longer ends the row, so the next failure waits `initialDelayMs` again.
 * Exit status 2 is a bad configuration (a service's ConfigError): the same settings would fail the
 * same way, so such a process is left down.
 */
export interface RestartPolicy {
  /** The delay before the first restart of a row. */
  readonly initialDelayMs: number;
  /** The longest delay between restarts. */
  readonly maxDelayMs: number;
  /** A run at least this long was healthy: the next failure starts a new row. */
  readonly healthyAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  healthyAfterMs: 30_000,
};

/** The exit status of a service whose configuration is invalid (it names the setting on stderr). */
export const EXIT_BAD_CONFIGURATION = 2;

/** How a process ended: its exit code, or the signal that killed it. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What to do about a process that exited unasked. */
export type RestartDecision =
  /** Start it again after `delayMs`; `failures` in a row so far, this one included. */
  | { readonly kind: 'restart'; readonly failures: number; readonly delayMs: number }
  /** Leave it down: restarting cannot help. */
  | { readonly kind: 'leave-down'; readonly reason: 'bad-configuration' };

/** Throws a RangeError naming the field unless every delay is a non-negative integer, max ≥ initial. */
export function checkRestartPolicy(policy: RestartPolicy): RestartPolicy {
  for (const field of ['initialDelayMs', 'maxDelayMs', 'healthyAfterMs'] as const) {
    const value = policy[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`restart policy: ${field} must be a non-negative integer, got ${value}`);
    }
  }
  if (policy.maxDelayMs < policy.initialDelayMs) {
    throw new RangeError(
      `restart policy: maxDelayMs (${policy.maxDelayMs}) is below initialDelayMs (${policy.initialDelayMs})`,
    );
  }
  return policy;
}

/**
 * Decides about a process that exited with `exit` (undefined: a server whose keeper said only how
 * it died) after running `ranMs`, when `previousFailures` runs in a row had failed before it.
 */
export function decideOnExit(
  policy: RestartPolicy,
  previousFailures: number,
  exit: ProcessExit | undefined,
  ranMs: number,
): RestartDecision {
  if (exit?.code === EXIT_BAD_CONFIGURATION) return { kind: 'leave-down', reason: 'bad-configuration' };
  return nextRestart(policy, previousFailures, ranMs);
}

/**
 * The restart after a failure — a run of `ranMs` that ended, or a start that failed (`ranMs` 0) —
 * when `previousFailures` had failed in a row before it.
 */
export function nextRestart(
  policy: RestartPolicy,
  previousFailures: number,
  ranMs: number,
): RestartDecision & { readonly kind: 'restart' } {
  const failures = (ranMs >= policy.healthyAfterMs ? 0 : previousFailures) + 1;
  return { kind: 'restart', failures, delayMs: restartDelay(policy, failures) };
}

/** The delay before restart number `failures` of a row (1 for the first). */
export function restartDelay(policy: RestartPolicy, failures: number): number {
  // The exponent is capped so that the product stays finite (0 × Infinity would be NaN).
  const doublings = Math.min(Math.max(0, failures - 1), 40);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** doublings);
}
