import { type PumpMessage, spanContextOfHeaders, traced } from '@msi/service-kit';

/**
 * Records the projection of each applied message in a span (`verifier.project_seal`,
 * `verifier.project_round`) that continues the trace its headers carry: the seal's span
 * (aggregator.seal) or the round's (calendar.round). Messages are applied in groups, one transaction
 * each: every span starts when its group's work started and ends when the group committed (only
 * applied messages get one: `msi.applied` is true). Counts and positions only.
 */
export function recordProjectionSpans(
  name: 'verifier.project_seal' | 'verifier.project_round',
  messages: readonly PumpMessage[],
  startTimeMs: number,
): void {
  for (const m of messages) {
    void traced(
      name,
      {
        kind: 'consumer',
        parent: spanContextOfHeaders(m.headers),
        startTimeMs,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': m.subject,
          'msi.stream_seq': m.seq,
          'msi.group_size': messages.length,
          'msi.applied': true,
        },
      },
      async () => undefined,
    );
  }
}
