import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@msi/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningTileServer, startTileServer } from './tile-server.js';

let dir: string;
let server: RunningTileServer;
const warnings: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'msi-tile-server-'));
  warnings.length = 0;
  server = await startTileServer({
    host: '127.0.0.1',
    port: 0,
    dir,
    log: createLogger({ service: 'tiles', level: 'warn', write: (line) => warnings.push(line) }),
  });
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Replaces the checkpoint as the calendar does: a new file renamed over it. */
async function replaceCheckpoint(text: string, n: number): Promise<void> {
  const temporary = join(dir, `checkpoint.${n}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, join(dir, 'checkpoint'));
}

describe('the tile server', () => {
  it('serves each checkpoint whole while it is replaced between requests and during them', async () => {
    // Texts of very different lengths, so that a length of one with the bytes of another shows.
    const texts = ['short checkpoint\n', `${'a long checkpoint line\n'.repeat(400)}— signature line\n`];
    await replaceCheckpoint(texts[0] as string, 0);
    let replacing = true;
    const replacer = (async () => {
      for (let n = 1; replacing; n++) await replaceCheckpoint(texts[n % 2] as string, n);
    })();
    const url = `http://127.0.0.1:${server.port}/checkpoint`;
    const bodies: string[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const response = await fetch(url);
        expect(response.status).toBe(200);
        const body = await response.text();
        expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(body));
        bodies.push(body);
      }
    } finally {
      replacing = false;
      await replacer;
    }
    for (const body of bodies) expect(texts).toContain(body);
    // Both were served: the replacements ran while the requests did.
    expect(new Set(bodies).size).toBe(2);
    expect(warnings).toEqual([]);
  });

  it('answers 404 for a path that is no file of the log, and 405 for another method', async () => {
    const base = `http://127.0.0.1:${server.port}/`;
    expect((await fetch(`${base}checkpoint`)).status).toBe(404);
    expect((await fetch(`${base}tile/0/000`)).status).toBe(404);
    expect((await fetch(`${base}../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${base}checkpoint`, { method: 'POST' })).status).toBe(405);
    await replaceCheckpoint('c\n', 0);
    const head = await fetch(`${base}checkpoint`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('2');
    expect(head.headers.get('cache-control')).toBe('no-cache');
  });
});
