import { decodeRound, decodeSeal } from '@msi/core';
import { subjectsFor } from '@msi/nats';
import { streamV1 } from '@msi/proto';
import { connect } from '@nats-io/transport-node';

/** What one anchored round says, for status lines. */
export interface RoundSummary {
  readonly round: number;
  readonly closedAtUs: number;
  readonly seals: number;
  readonly events: number;
}

/** Calls `onRound` for every RoundAnchored published from now on; returns a function that stops. */
export async function watchRounds(
  natsUrl: string,
  prefix: string,
  onRound: (round: RoundSummary) => void,
): Promise<() => Promise<void>> {
  const nc = await connect({ servers: natsUrl, name: 'msi-status', maxReconnectAttempts: -1 });
  const subscription = nc.subscribe(subjectsFor(prefix).rounds);
  void (async () => {
    for await (const message of subscription) {
      try {
        const anchored = streamV1.RoundAnchored.decode(message.data);
        const record = decodeRound(anchored.round);
        const events = anchored.seals.reduce((sum, bytes) => sum + decodeSeal(bytes).leafCount, 0);
        onRound({ round: record.round, closedAtUs: record.closedAt, seals: record.sealCount, events });
      } catch {
        // a message that does not decode is the verifier's business, not a status line's
      }
    }
  })();
  return async () => {
    subscription.unsubscribe();
    await nc.close();
  };
}
