import { type Pool, toSafeInteger, toText } from '@msi/postgres';
import { INT8_MAX } from './receipt-store.js';
import { SCHEMA } from './schema.js';

/** A stored (checked) publication. */
export interface PublicationRow {
  readonly streamSeq: number;
  readonly timeUs: number;
  readonly size: number;
  readonly text: string;
}

/**
 * The checked publications (table `publications`; a publication that failed its checks is an
 * integrity failure and never stored), newest first (time, then stream sequence, descending), after
 * `after` when given, at most `limit`.
 */
export async function publicationsOf(
  db: Pool,
  page: { after: { timeUs: number; streamSeq: number } | undefined; limit: number },
): Promise<PublicationRow[]> {
  const { rows } = await db.query({
    name: 'verifier_publications',
    text: `SELECT stream_seq, time_us, size, text FROM ${SCHEMA}.publications
       WHERE (time_us, stream_seq) < ($1::int8, $2::int8)
       ORDER BY time_us DESC, stream_seq DESC LIMIT $3::int4`,
    values: [page.after?.timeUs ?? INT8_MAX, page.after?.streamSeq ?? INT8_MAX, page.limit],
  });
  return rows.map((r) => ({
    streamSeq: toSafeInteger(r.stream_seq, 'stream_seq'),
    timeUs: toSafeInteger(r.time_us, 'time_us'),
    size: toSafeInteger(r.size, 'size'),
    text: toText(r.text, 'text'),
  }));
}
