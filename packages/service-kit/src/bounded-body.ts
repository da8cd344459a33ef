import type { IncomingMessage } from 'node:http';

/** What reading a bounded HTTP request body gave: the body, or that it was over the limit. */
export type BoundedBody = { readonly kind: 'body'; readonly body: Buffer } | { readonly kind: 'too-large' };

/**
 * A body over the limit is still read, and dropped, up to this many bytes before the caller answers
 * (413): a client still sending would otherwise have its connection reset (EPIPE) before it reads
 * the answer. Past it, reading stops at once: the request is destroyed, or never read when its
 * Content-Length says so (answer with `Connection: close`).
 */
export const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Reads an HTTP request body of at most `limit` bytes (declared by Content-Length or counted). Over
 * the limit it answers `too-large` once the client has sent the rest (dropped, up to `drainLimit`).
 */
export async function readBoundedBody(
  request: IncomingMessage,
  limit: number,
  drainLimit: number = DRAIN_LIMIT_BYTES,
): Promise<BoundedBody> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > drainLimit) return { kind: 'too-large' };
  const chunks: Buffer[] = [];
  let size = 0;
  // never leave the loop early below the drain limit: leaving a for-await destroys the request
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > drainLimit) return { kind: 'too-large' }; // leaving the loop destroys the request
    if (size <= limit && declared <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit || declared > limit) return { kind: 'too-large' };
  return { kind: 'body', body: Buffer.concat(chunks) };
}
