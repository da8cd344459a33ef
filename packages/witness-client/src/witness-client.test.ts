import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCheckpoint } from './witness-client.js';

// A hostile witness: answers with whatever the test puts in `next`.
let next: { status: number; body: string; type?: string } = { status: 200, body: '' };
let received = '';
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received = `${req.method} ${req.url}\n${Buffer.concat(chunks).toString('utf8')}`;
      res.writeHead(next.status, { 'Content-Type': next.type ?? 'text/plain' });
      res.end(next.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// The client checks nothing of the checkpoint or the proof: any request will do.
const CHECKPOINT =
  'example.org/log\n5\nq6ZPJ1Mt8lpHyzaLt1/hhNfAq4pEmhvnNVIyj9BIRDs=\n\n\u2014 example.org/log AAAA\n';
const log = {
  request: (oldSize: number) => ({
    oldSize,
    proof: oldSize === 0 ? [] : [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)],
    checkpoint: CHECKPOINT,
  }),
};

describe('addCheckpoint (client)', () => {
  it('posts the C2SP body to <prefix>/add-checkpoint and returns the lines of a 200', async () => {
    next = { status: 200, body: '\u2014 w1 AAAA\n\u2014 w2 BBBB\n' };
    const request = log.request(2);
    expect(await addCheckpoint(url, request)).toEqual({
      kind: 'cosigned',
      status: 200,
      cosignatures: next.body,
    });
    expect(received.startsWith('POST /add-checkpoint\nold 2\n')).toBe(true);
    expect(received.endsWith(`\n\n${request.checkpoint}`)).toBe(true);
  });

  it('reads the size of a 409', async () => {
    next = { status: 409, body: '42\n', type: 'text/x.tlog.size' };
    expect(await addCheckpoint(url, log.request(0))).toEqual({
      kind: 'conflict',
      status: 409,
      currentSize: 42,
    });
  });

  it.each([
    ['a 200 that is not signature lines', 200, 'hello\n'],
    ['an empty 200', 200, ''],
    ['a 200 without a final newline', 200, '\u2014 w1 AAAA'],
    ['a 409 without a size', 409, 'conflict\n'],
    ['a 409 with a leading zero', 409, '042\n'],
    ['a 422', 422, 'inconsistent\n'],
  ])('reports %s as refused', async (_, status, body) => {
    next = { status, body };
    expect(await addCheckpoint(url, log.request(0))).toMatchObject({ kind: 'refused', status });
  });
});
