import { JetStreamApiError, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';

export interface DurablePublishOptions {
  /** Dedup id: a retried publish with the same id is stored once within the duplicate window. */
  readonly msgID?: string;
  /** Fencing: the server refuses the message unless the subject's last sequence is exactly this. */
  readonly expectLastSubjectSequence?: number;
  readonly headers?: MsgHdrs;
  /** Wait for one PubAck at most this long per attempt. */
  readonly timeoutMs: number;
  /** Attempts in all (>= 1); retries reuse the msgID, so they cannot store twice. */
  readonly attempts: number;
  /** Do not start another attempt after this instant (epoch ms), e.g. the end of a claim. */
  readonly deadline?: number;
}

export type PublishErrorCode = 'FENCED' | 'TIMEOUT' | 'REJECTED';

export class PublishError extends Error {
  constructor(
    readonly code: PublishErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PublishError';
  }
}

const WRONG_LAST_SEQUENCE = 10071;

/**
 * Publishes to JetStream and resolves only once the stream acknowledged storing it. Retries timeouts
 * and "no responders" with the same msgID. A failed expectation is `FENCED` (never retried).
 */
export async function publishDurable(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  options: DurablePublishOptions,
): Promise<PubAck> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (options.deadline !== undefined && Date.now() >= options.deadline) break;
    try {
      return await js.publish(subject, payload, {
        timeout: options.timeoutMs,
        ...(options.msgID === undefined ? {} : { msgID: options.msgID }),
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        ...(options.expectLastSubjectSequence === undefined
          ? {}
          : { expect: { lastSubjectSequence: options.expectLastSubjectSequence } }),
      });
    } catch (error: unknown) {
      if (error instanceof JetStreamApiError) {
        if (error.code === WRONG_LAST_SEQUENCE) {
          throw new PublishError('FENCED', `publish to ${subject} fenced: ${error.message}`, {
            cause: error,
          });
        }
        throw new PublishError('REJECTED', `publish to ${subject} rejected: ${error.message}`, {
          cause: error,
        });
      }
      lastError = error;
    }
  }
  throw new PublishError(
    'TIMEOUT',
    `publish to ${subject} not acknowledged after ${options.attempts} attempt(s)`,
    {
      cause: lastError,
    },
  );
}
