/**
 * The sealing rule, pure: which messages of a shard go into which seal. Deterministic over the
 * stream, so an aggregator replaying a shard from any seal boundary reproduces the same seals.
 *
 * A message belongs to the round window of its JetStream timestamp (the server's store time):
 * window = floor(timestamp_ms / interval). A seal collects a run of consecutive messages of the
 * shard: it opens at a message, takes that message's window, and takes every following message whose
 * window is not later (a later window can only be smaller if the server's clock stepped back; such a
 * message joins the open seal rather than reopening a sealed window). It closes
 *   - when a message of a later window arrives (that message opens the next seal), or
 *   - when it already holds `maxLeaves` leaves and another message arrives, or
 *   - when this process's clock is past the window's end + grace and the shard is caught up (no
 *     message pending on the server, none delivered and unprocessed).
 * The last case relies on the aggregator's clock being within `grace` of the NATS server's.
 */

/** The round window of a message stored at `timestampMs`. Preconditions: both are non-negative, interval > 0. */
export function windowOf(timestampMs: number, intervalMs: number): number {
  return Math.floor(timestampMs / intervalMs);
}

/** The instant (epoch ms) window `window` ends: the start of the next one. */
export function windowEndMs(window: number, intervalMs: number): number {
  return (window + 1) * intervalMs;
}

/** The JetStream timestamp of a message (ns since the epoch) in whole milliseconds. */
export function timestampMsOf(timestampNanos: bigint): number {
  return Number(timestampNanos / 1_000_000n);
}

/** What an open seal needs for the rule. */
export interface OpenSealView {
  readonly window: number;
  readonly leafCount: number;
}

/** What to do with the next message of the shard. */
export type MessageDecision =
  | 'open' // no seal is open: the message opens one
  | 'join' // the message belongs to the open seal
  | 'seal-then-open'; // the open seal is complete: seal it, then the message opens the next

/** Decides where the next message (of window `messageWindow`) goes; see the rule above. */
export function decideOnMessage(
  open: OpenSealView | undefined,
  messageWindow: number,
  maxLeaves: number,
): MessageDecision {
  if (open === undefined) return 'open';
  if (messageWindow > open.window || open.leafCount >= maxLeaves) return 'seal-then-open';
  return 'join';
}

/** What to do when the clock ticks. */
export type TickDecision =
  | 'idle' // no seal is open
  | 'wait' // the open seal's window (plus grace) has not ended yet
  | 'seal-if-caught-up'; // seal now, once the shard has been checked to be caught up

/** Decides whether the open seal may be closed by the clock at `nowMs`. */
export function decideOnTick(
  open: OpenSealView | undefined,
  nowMs: number,
  intervalMs: number,
  graceMs: number,
): TickDecision {
  if (open === undefined) return 'idle';
  return nowMs >= windowEndMs(open.window, intervalMs) + graceMs ? 'seal-if-caught-up' : 'wait';
}

/** What the consumer reports about its position, for the caught-up check. */
export interface ConsumerPosition {
  /** Messages of the shard stored but not yet delivered. */
  readonly numPending: number;
  /**
   * The consumer sequence of the last delivery to this process (0 if none). Not the stream sequence:
   * a filtered consumer may report a stream sequence past messages of other shards.
   */
  readonly deliveredConsumerSeq: number;
}

/**
 * True when nothing more of the shard is on the server or in flight to this process: nothing pending,
 * and every delivery up to the consumer's last one has been handled (`lastHandledDeliverySeq`).
 */
export function isCaughtUp(position: ConsumerPosition, lastHandledDeliverySeq: number): boolean {
  return position.numPending === 0 && position.deliveredConsumerSeq <= lastHandledDeliverySeq;
}
