import { spanContextOfHeaders, traced } from '@msi/service-kit';
import type { JsMsg } from '@nats-io/jetstream';

/**
 * Applies one message of the projection in a span (`verifier.project_seal`, `verifier.project_round`)
 * that continues the trace its headers carry: the seal's span (aggregator.seal) or the round's
 * (calendar.round). `msi.applied` is false when the message waits for what it covers (it is
 * applied again later, in another span).
 */
export function tracedProjection(
  name: 'verifier.project_seal' | 'verifier.project_round',
  m: JsMsg,
  apply: () => Promise<boolean>,
): Promise<boolean> {
  return traced(
    name,
    {
      kind: 'consumer',
      parent: spanContextOfHeaders(m.headers),
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': m.subject,
        'msi.stream_seq': m.seq,
      },
    },
    async (span) => {
      const applied = await apply();
      span.setAttribute('msi.applied', applied);
      return applied;
    },
  );
}
