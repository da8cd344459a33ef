// As root, the embedded Postgres runs as the OS user postgres. Started the way the dev stack starts
// it (isolated, its cluster at <data dir>/postgres) with the data dir below a 0700 directory — as
// `MSI_DATA_DIR=$(mktemp -d)/msi npm start` does — it initialised nothing ("could not access
// directory"): now the cluster lives in a shelter that user can reach, linked from the data dir.
import { chmod, lstat, mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterPlacementError } from './cluster-placement.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

const asRoot = process.getuid?.() === 0;
let parent: string;
let shelterRoot: string;
let shelter: string;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'msi-0700-')); // 0700, like mktemp -d or root's home
  shelterRoot = await mkdtemp(join(tmpdir(), 'msi-shelter-'));
  await chmod(shelterRoot, 0o755); // as /var/lib is
  shelter = join(shelterRoot, 'msi', 'postgres');
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
  await rm(shelterRoot, { recursive: true, force: true });
});

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe.skipIf(!asRoot)('the embedded Postgres as root, its data dir below a 0700 directory', () => {
  it('starts as the dev stack starts it, and finds the same cluster on the next start', async () => {
    const dataDir = join(parent, 'msi');
    await mkdir(dataDir, { mode: 0o755 });
    const wanted = join(dataDir, 'postgres');
    const first = await startEmbeddedPostgres({ dataDir: wanted, isolated: true, shelter });
    try {
      expect(first.linkedFrom).toBe(wanted);
      expect(first.dataDir.startsWith(`${shelter}/msi-`)).toBe(true);
      expect((await lstat(wanted)).isSymbolicLink()).toBe(true);
      expect(await readlink(wanted)).toBe(first.dataDir);
      await query(first.url, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedPostgres({ dataDir: wanted, isolated: true, shelter });
    try {
      expect(second.dataDir).toBe(first.dataDir);
      expect((await query(second.url, 'SELECT x FROM kept')).rows).toEqual([{ x: 42 }]);
    } finally {
      await second.stop();
    }
  }, 240_000);

  it('refuses a cluster already sitting where postgres cannot reach, saying what to do', async () => {
    const stranded = join(parent, 'old', 'postgres');
    await mkdir(stranded, { recursive: true });
    await writeFile(join(stranded, 'PG_VERSION'), '17\n');
    const started = startEmbeddedPostgres({ dataDir: stranded, shelter });
    await expect(started).rejects.toBeInstanceOf(ClusterPlacementError);
    await expect(started).rejects.toMatchObject({
      code: 'CLUSTER_UNREACHABLE',
      message: expect.stringContaining(`run \`chmod o+x ${parent}\``),
    });
  });
});
