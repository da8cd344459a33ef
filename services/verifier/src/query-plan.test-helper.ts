import type { Pool } from '@msi/postgres';

/** A 33-byte data imprint (algorithm byte 0x01): `tag` and `i` in its last five bytes. */
export function testImprint(tag: number, i: number): Buffer {
  const bytes = Buffer.alloc(33);
  bytes[0] = 1;
  bytes[28] = tag;
  bytes.writeUInt32BE(i, 29);
  return bytes;
}

/** An event row as a test stores it: one per stream message (position 0), with its inputs or outputs. */
export interface StoredEvent {
  readonly seq: number;
  readonly tenant: string;
  readonly kind: number;
  readonly data: Buffer;
  readonly to: string;
  readonly receivedAt: number;
  readonly imprints: readonly (readonly [Buffer, 'input' | 'output'])[];
}

/** A node of EXPLAIN (ANALYZE, FORMAT JSON)'s plan. */
export interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly 'Actual Rows': number;
  readonly 'Actual Loops': number;
  readonly 'Rows Removed by Filter'?: number;
  readonly Plans?: readonly PlanNode[];
}

/** The rows a scan read: those it passed on and those its filter removed, over all its loops. */
export const rowsRead = (node: PlanNode): number =>
  (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'];

/**
 * Every node of the executed plan of the first statement `run` sends through the Pool it is given
 * (which answers it with no rows), run under EXPLAIN ANALYZE on one connection of `pool` with
 * sequential and bitmap scans off: planner statistics of small tables favour reading them whole.
 */
export async function executedPlan(
  pool: Pool,
  run: (explaining: Pool) => Promise<unknown>,
): Promise<PlanNode[]> {
  const client = await pool.connect();
  let plan: PlanNode | undefined;
  try {
    await client.query('SET enable_seqscan = off');
    await client.query('SET enable_bitmapscan = off');
    const explaining = {
      query: async (config: { text: string; values: unknown[] }) => {
        if (plan === undefined) {
          const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${config.text}`, config.values);
          plan = rows[0]['QUERY PLAN'][0].Plan;
        }
        return { rows: [] };
      },
    } as unknown as Pool;
    await run(explaining);
  } finally {
    await client.query('RESET enable_seqscan');
    await client.query('RESET enable_bitmapscan');
    client.release();
  }
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode | undefined) => {
    if (node === undefined) return;
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan);
  return nodes;
}
