import { CodedError } from '@msi/core';
import type { Pool } from '@msi/postgres';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';
import {
  signWebhook,
  WEBHOOK_ALERT_ID_HEADER,
  WEBHOOK_ATTEMPT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
} from './webhook-signature.js';
import {
  type ClaimedDelivery,
  claimDue,
  markDelivered,
  markFailedAttempt,
  msUntilNextDue,
} from './webhook-store.js';

/** Retry schedule: attempt n failing waits min(maxMs, baseMs·2^(n-1)) ±20%; attempt maxAttempts is the last. */
export interface WebhookBackoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxAttempts: number;
}

/** What the metrics hooks are told about one attempt. */
export interface DeliveryAttempt {
  readonly alertId: string;
  readonly webhook: string;
  readonly attempt: number;
  /** The HTTP status when a response arrived. */
  readonly status: number | undefined;
  /** Why the attempt failed (undefined when delivered). */
  readonly error: string | undefined;
  readonly durationMs: number;
}

/** Optional callbacks, e.g. to count deliveries in Prometheus. They must not throw. */
export interface WebhookDeliveryHooks {
  readonly onDelivered?: (a: DeliveryAttempt) => void;
  /** A failed attempt that will be retried. */
  readonly onFailedAttempt?: (a: DeliveryAttempt) => void;
  /** The last allowed attempt failed: the row is now `failed`. */
  readonly onGaveUp?: (a: DeliveryAttempt) => void;
}

export interface WebhookDelivererOptions {
  readonly pool: Pool;
  /** The schema holding `webhook_deliveries`. */
  readonly schema: string;
  /** The signing secret(s) of a webhook by name (several while rotating), undefined when unknown. */
  readonly secretOf: (webhook: string) => string | readonly string[] | undefined;
  readonly log: Logger;
  readonly backoff?: Partial<WebhookBackoff>;
  /** Per POST, headers included (default 5000). */
  readonly timeoutMs?: number;
  /** POSTs in flight at once per deliverer (default 16). */
  readonly concurrency?: number;
  /** How long a claim keeps a row from other instances (default timeoutMs + 30 s). */
  readonly leaseMs?: number;
  /** The longest sleep between looks at the table (default 1000). */
  readonly maxIdleMs?: number;
  /** Milliseconds since the epoch, for the signature timestamp. */
  readonly nowMs?: () => number;
  readonly fetch?: typeof fetch;
  /** In [0, 1), for the jitter. */
  readonly random?: () => number;
  readonly hooks?: WebhookDeliveryHooks;
}

/** Why the options were refused. */
export type WebhookDeliveryErrorCode = 'INVALID_OPTIONS';

export class WebhookDeliveryError extends CodedError<WebhookDeliveryErrorCode> {
  override readonly name = 'WebhookDeliveryError';
}

/** The backoff when none is given: 1 s doubling to 5 min, 12 attempts (about 23 min in all). */
export const DEFAULT_WEBHOOK_BACKOFF: WebhookBackoff = { baseMs: 1000, maxMs: 5 * 60_000, maxAttempts: 12 };
const JITTER = 0.2;

/** The delay after failed attempt `attempt` (1-based): min(maxMs, baseMs·2^(attempt-1)) scaled by 1 ± 20%. */
export function backoffDelayMs(backoff: WebhookBackoff, attempt: number, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** exponent);
  return Math.round(delay * (1 + JITTER * (2 * random() - 1)));
}

interface Settings {
  readonly backoff: WebhookBackoff;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly maxIdleMs: number;
}

function settingsOf(options: WebhookDelivererOptions): Settings {
  const backoff = { ...DEFAULT_WEBHOOK_BACKOFF, ...options.backoff };
  const timeoutMs = options.timeoutMs ?? 5000;
  const settings = {
    backoff,
    timeoutMs,
    concurrency: options.concurrency ?? 16,
    leaseMs: options.leaseMs ?? timeoutMs + 30_000,
    maxIdleMs: options.maxIdleMs ?? 1000,
  };
  const problems = [
    backoff.baseMs > 0 ? '' : 'backoff.baseMs must be > 0',
    backoff.maxMs >= backoff.baseMs ? '' : 'backoff.maxMs must be >= backoff.baseMs',
    Number.isSafeInteger(backoff.maxAttempts) && backoff.maxAttempts >= 1
      ? ''
      : 'backoff.maxAttempts must be >= 1',
    timeoutMs > 0 ? '' : 'timeoutMs must be > 0',
    Number.isSafeInteger(settings.concurrency) && settings.concurrency >= 1 ? '' : 'concurrency must be >= 1',
    Number.isSafeInteger(settings.leaseMs) && settings.leaseMs > timeoutMs
      ? ''
      : 'leaseMs must exceed timeoutMs',
    settings.maxIdleMs > 0 ? '' : 'maxIdleMs must be > 0',
  ].filter((p) => p !== '');
  if (problems.length > 0) throw new WebhookDeliveryError('INVALID_OPTIONS', problems.join('; '));
  return settings;
}

/**
 * Sends due rows of `webhook_deliveries`: a signed POST per claimed attempt, 2xx = delivered, anything
 * else (other status, network error, timeout) = a failed attempt retried after the backoff, until
 * `maxAttempts`. Several deliverers (in one or many processes) may share a table.
 */
export class WebhookDeliverer {
  readonly #options: WebhookDelivererOptions;
  readonly #settings: Settings;
  readonly #nowMs: () => number;
  readonly #fetch: typeof fetch;
  readonly #random: () => number;
  readonly #inFlight = new Set<Promise<void>>();
  #loop: RunningLoop | undefined;

  constructor(options: WebhookDelivererOptions) {
    this.#options = options;
    this.#settings = settingsOf(options);
    this.#nowMs = options.nowMs ?? Date.now;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#random = options.random ?? Math.random;
  }

  /** Starts the loop (again after stop). */
  start(): void {
    this.#loop ??= every({
      intervalMs: this.#settings.maxIdleMs,
      run: () => this.#claim(),
      onError: (error) => this.#options.log.warn('webhook queue could not be read', { error }),
    });
  }

  /** Stops claiming and resolves when the POSTs in flight are settled. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    this.#loop = undefined;
    await loop?.stop();
    await Promise.all(this.#inFlight);
  }

  /** Looks at the table now instead of at the end of the current wait (call after new alerts commit). */
  kick(): void {
    this.#loop?.wake();
  }

  /** Claims what is due into the free slots; returns how long to wait before looking again. */
  async #claim(): Promise<number> {
    const free = this.#settings.concurrency - this.#inFlight.size;
    if (free <= 0) return this.#settings.maxIdleMs;
    const claimed = await claimDue(this.#options.pool, this.#options.schema, free, this.#settings.leaseMs);
    for (const delivery of claimed) this.#track(this.#deliver(delivery));
    // A full batch: more may be due, look again at once (or when a slot frees up).
    return claimed.length === free ? 0 : await this.#untilNextDue();
  }

  async #untilNextDue(): Promise<number> {
    const ms = await msUntilNextDue(this.#options.pool, this.#options.schema);
    return Math.min(ms ?? this.#settings.maxIdleMs, this.#settings.maxIdleMs);
  }

  #track(work: Promise<void>): void {
    const settled = work
      .catch((error: unknown) => this.#options.log.error('webhook delivery crashed', { error }))
      .finally(() => {
        this.#inFlight.delete(settled);
        this.kick();
      });
    this.#inFlight.add(settled);
  }

  async #deliver(d: ClaimedDelivery): Promise<void> {
    const started = this.#nowMs();
    // A row is claimed past maxAttempts only when the last attempt's claim was never settled (its
    // instance died): that attempt may have reached the receiver, so it is not sent again.
    const outcome =
      d.attempt > this.#settings.backoff.maxAttempts
        ? { status: undefined, error: 'the last attempt was never settled (its lease ran out)' }
        : await this.#post(d);
    const attempt: DeliveryAttempt = {
      ...outcome,
      alertId: d.alertId,
      webhook: d.webhook,
      attempt: d.attempt,
      durationMs: this.#nowMs() - started,
    };
    const { pool, schema, log, hooks } = this.#options;
    const fields = { alertId: d.alertId, webhook: d.webhook, attempt: d.attempt, status: outcome.status };
    try {
      if (outcome.error === undefined) {
        await markDelivered(pool, schema, {
          alertId: d.alertId,
          webhook: d.webhook,
          status: outcome.status ?? 0,
        });
        log.info('webhook delivered', fields);
        hooks?.onDelivered?.(attempt);
        return;
      }
      const giveUp = d.attempt >= this.#settings.backoff.maxAttempts;
      const retryInMs = giveUp ? 'give-up' : backoffDelayMs(this.#settings.backoff, d.attempt, this.#random);
      const settled = await markFailedAttempt(pool, schema, { ...fields, error: outcome.error, retryInMs });
      if (!settled) {
        log.warn('webhook attempt failed after its row moved on', { ...fields, error: outcome.error });
      } else if (giveUp) {
        log.error('webhook delivery failed for good', { ...fields, error: outcome.error });
        hooks?.onGaveUp?.(attempt);
      } else {
        log.warn('webhook attempt failed', { ...fields, error: outcome.error, retryInMs });
        hooks?.onFailedAttempt?.(attempt);
      }
    } catch (error: unknown) {
      // The lease runs out and the row is claimed again as the next attempt.
      log.warn('webhook attempt could not be recorded', { ...fields, error });
    }
  }

  /** One POST; never throws. `error` is undefined exactly when the answer was 2xx. */
  async #post(d: ClaimedDelivery): Promise<{ status: number | undefined; error: string | undefined }> {
    const secret = this.#options.secretOf(d.webhook);
    if (secret === undefined) return { status: undefined, error: `no secret for webhook ${d.webhook}` };
    try {
      const response = await this.#fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, Math.floor(this.#nowMs() / 1000), d.body),
          [WEBHOOK_ALERT_ID_HEADER]: d.alertId,
          [WEBHOOK_ATTEMPT_HEADER]: String(d.attempt),
        },
        body: d.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#settings.timeoutMs),
      });
      await response.body?.cancel().catch(() => {});
      const ok = response.status >= 200 && response.status < 300;
      return { status: response.status, error: ok ? undefined : `HTTP ${response.status}` };
    } catch (error: unknown) {
      return { status: undefined, error: describeFetchError(error, this.#settings.timeoutMs) };
    }
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${error.message}: ${typeof code === 'string' ? `${code} ` : ''}${cause.message}`;
  }
  return error.message;
}
