import { openCheckpoint } from '@msi/core';
import { toSafeInteger } from '@msi/postgres';
import { streamV1 } from '@msi/proto';
import type { PumpHandler } from '@msi/service-kit';
import type { AlerterContext } from './alerter-context.js';
import { integrityCandidate, malformedMessage } from './integrity-candidates.js';
import { forkAt } from './round-intake.js';
import { SCHEMA } from './schema.js';

/**
 * Cosigned checkpoints (`<prefix>.checkpoints`): each must verify with the calendar key and name, for
 * its size, the root of the calendar the rounds published. One that verifies but names another root
 * is a fork — the most serious alert there is. A checkpoint ahead of the rounds waits for them.
 */
export function checkpointsHandler(ctx: AlerterContext): PumpHandler {
  return async (message, tx) => {
    let note: string;
    try {
      note = streamV1.CheckpointCosigned.decode(message.data).checkpoint;
    } catch (error: unknown) {
      await ctx.raise(tx, [malformedMessage('checkpoints', message, (error as Error).message, ctx.nowMs())]);
      return 'applied';
    }
    let checkpoint: { size: number; root: Uint8Array; origin: string };
    try {
      checkpoint = openCheckpoint(note, [ctx.calendarKey], ctx.ed25519).checkpoint;
    } catch (error: unknown) {
      await ctx.raise(tx, [
        integrityCandidate({
          rule: 'checkpoint-invalid',
          severity: 'critical',
          message: `checkpoint #${message.seq} on ${message.subject} does not verify with the calendar key: ${(error as Error).message}`,
          subject: 'checkpoints',
          trigger: `checkpoints#${message.seq}`,
          atUs: message.storedAtUs,
        }),
      ]);
      return 'applied';
    }
    const { rows } = await tx.query(`SELECT size, broken FROM ${SCHEMA}.calendar`);
    if (String(rows[0].broken) !== '') return 'applied';
    if (checkpoint.size > toSafeInteger(rows[0].size, 'size')) {
      await tx.query(
        `INSERT INTO ${SCHEMA}.pending_checkpoints (size, root, note) VALUES ($1::int8, $2::bytea, $3::text) ON CONFLICT DO NOTHING`,
        [checkpoint.size, Buffer.from(checkpoint.root), note],
      );
      return 'applied';
    }
    const fork = await forkAt(tx, checkpoint.size, checkpoint.root, message.storedAtUs);
    if (fork !== undefined) await ctx.raise(tx, [integrityCandidate(fork)]);
    return 'applied';
  };
}
