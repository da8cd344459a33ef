import { type Pool, toSafeInteger, toText } from '@msi/postgres';
import type { verifierV1 } from '@msi/proto';
import { SCHEMA } from './schema.js';

/** The most witnesses GetWitnessStatus lists (by name): a note carries at most 100 signature lines. */
export const MAX_WITNESSES = 1000;

/**
 * GetWitnessStatus from the projection: each witness head (`witness_heads`: the largest size a witness
 * cosigned, from the cosigned checkpoints applied) against the newest verified checkpoint. The lag in
 * time is between the closed_at of the rounds that end the two sizes (round size − 1), both from
 * the verified calendar; the witness's own time T is reported as it claims it (never compared with
 * closed_at, docs/PROOFS.md §7).
 */
export async function witnessStatus(db: Pool): Promise<verifierV1.GetWitnessStatusResponse> {
  const newest = await db.query(
    `SELECT c.size, r.closed_at_us FROM (SELECT size FROM ${SCHEMA}.checkpoints ORDER BY size DESC LIMIT 1) c
     LEFT JOIN ${SCHEMA}.rounds r ON r.k = c.size - 1`,
  );
  const head = newest.rows[0];
  if (head === undefined) return { checkpointSize: 0n, witnesses: [] };
  const size = toSafeInteger(head.size, 'size');
  const closedAt = toSafeInteger(head.closed_at_us ?? 0, 'closed_at_us');
  const { rows } = await db.query(
    `SELECT w.name, w.key_id, w.size, w.cosigned_at_us, r.closed_at_us
     FROM ${SCHEMA}.witness_heads w LEFT JOIN ${SCHEMA}.rounds r ON r.k = w.size - 1
     ORDER BY w.name, w.key_id LIMIT $1::int4`,
    [MAX_WITNESSES],
  );
  return {
    checkpointSize: BigInt(size),
    witnesses: rows.map((r): verifierV1.WitnessStatus => {
      const cosigned = toSafeInteger(r.size, 'size');
      const cosignedClosedAt = toSafeInteger(r.closed_at_us ?? closedAt, 'closed_at_us');
      return {
        name: toText(r.name, 'name'),
        keyId: toSafeInteger(r.key_id, 'key_id').toString(16).padStart(8, '0'),
        cosignedSize: BigInt(cosigned),
        cosignedAtUs: BigInt(toSafeInteger(r.cosigned_at_us, 'cosigned_at_us')),
        lagEntries: BigInt(Math.max(0, size - cosigned)),
        lagUs: BigInt(Math.max(0, closedAt - cosignedClosedAt)),
      };
    }),
  };
}
