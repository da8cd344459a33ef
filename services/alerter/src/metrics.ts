import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The alerter's Prometheus metrics (msi_alerter_*). */
export interface AlerterMetrics {
  /** New alerts raised, by rule and severity. */
  readonly alertsRaised: Counter<'rule' | 'severity'>;
  /** Repetitions folded into an open alert (deduplicated), by rule. */
  readonly alertsDeduplicated: Counter<'rule'>;
  /** Messages applied, by stream. */
  readonly messagesApplied: Counter<'stream'>;
  /** Policy reloads: result = applied | refused. */
  readonly policyReloads: Counter<'result'>;
  /** Webhook deliveries: outcome = delivered | failed_attempt | gave_up. */
  readonly webhookDeliveries: Counter<'outcome'>;
  /** Whether this instance is the active one (consumes the streams). */
  readonly leader: Gauge;
  /** From an event's receipt at ingest to its alert being raised, by category (policy, custody). */
  readonly alertDelaySeconds: Histogram<'category'>;
  /** Security events published on <prefix>.security, by kind; and those dropped by the rate limit. */
  readonly securityEvents: Counter<'kind'>;
  readonly securityDropped: Counter;
}

/**
 * Per stream the active alerter follows, the messages stored and not applied yet (stream last
 * sequence − cursor); empty on a standby instance.
 */
export type StreamLag = Readonly<Record<string, number>>;

/**
 * Registers the alerter's metrics on `registry`. `streamLag` is read at each scrape for
 * msi_alerter_stream_lag{stream}; when it fails, the scrape shows no lag series rather than failing.
 */
export function createAlerterMetrics(
  registry: Registry,
  streamLag: () => Promise<StreamLag> = async () => ({}),
): AlerterMetrics {
  const registers = [registry];
  new Gauge({
    name: 'msi_alerter_stream_lag',
    help: 'Stream messages the active alerter has not applied yet (stream last sequence - cursor), per stream',
    labelNames: ['stream'],
    registers,
    async collect() {
      this.reset();
      const lag = await streamLag().catch(() => ({}));
      for (const [stream, messages] of Object.entries(lag)) this.set({ stream }, Math.max(0, messages));
    },
  });
  return {
    alertsRaised: new Counter({
      name: 'msi_alerter_alerts_raised_total',
      help: 'New alerts raised, by rule and severity.',
      labelNames: ['rule', 'severity'],
      registers,
    }),
    alertsDeduplicated: new Counter({
      name: 'msi_alerter_alerts_deduplicated_total',
      help: 'Repetitions counted on an open alert instead of raising a new one.',
      labelNames: ['rule'],
      registers,
    }),
    messagesApplied: new Counter({
      name: 'msi_alerter_messages_applied_total',
      help: 'Stream messages applied, by stream.',
      labelNames: ['stream'],
      registers,
    }),
    policyReloads: new Counter({
      name: 'msi_alerter_policy_reloads_total',
      help: 'Policy file reloads, by result (applied, refused).',
      labelNames: ['result'],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'msi_alerter_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome (delivered, failed_attempt, gave_up).',
      labelNames: ['outcome'],
      registers,
    }),
    alertDelaySeconds: new Histogram({
      name: 'msi_alerter_alert_delay_seconds',
      help: "Seconds from a triggering event's received_at (ingest's clock) to its alert being raised, by category.",
      labelNames: ['category'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    leader: new Gauge({
      name: 'msi_alerter_leader',
      help: '1 when this instance consumes the streams, 0 while it stands by.',
      registers,
    }),
    securityEvents: new Counter({
      name: 'msi_alerter_security_events_total',
      help: 'Security events (failed authentication or authorization, undecodable requests) published, by kind.',
      labelNames: ['kind'],
      registers,
    }),
    securityDropped: new Counter({
      name: 'msi_alerter_security_events_dropped_total',
      help: 'Security events not published because of the rate limit.',
      registers,
    }),
  };
}
