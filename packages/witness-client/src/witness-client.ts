import { type AddCheckpointRequest, formatAddCheckpointRequest } from './add-checkpoint-request.js';

/** A witness's answer to add-checkpoint, as a client sees it. */
export type AddCheckpointResponse =
  /** 200: the witness's cosignature line(s), each `— <name> <base64>\n`, to append to the note. */
  | { readonly kind: 'cosigned'; readonly status: 200; readonly cosignatures: string }
  /** 409 with text/x.tlog.size: retry with `old <currentSize>` and a proof from there. */
  | { readonly kind: 'conflict'; readonly status: 409; readonly currentSize: number }
  /** Any other answer: 400, 403, 404, 422 (a refusal: the checkpoint is inconsistent), 5xx… */
  | { readonly kind: 'refused'; readonly status: number; readonly message: string };

const SIZE_BODY = /^(0|[1-9][0-9]*)\n$/;

/**
 * Submits a checkpoint to the witness whose submission prefix is `url` (POST `<url>/add-checkpoint`,
 * C2SP tlog-witness). The answer is hostile input: a 200 body must be note signature lines and a 409
 * body a decimal size, else it is reported as `refused`. Network errors reject (the caller retries).
 * The cosignatures are NOT verified here: append them to the note and use core verifyCosignatures.
 */
export async function addCheckpoint(
  url: string,
  request: AddCheckpointRequest,
  options: { readonly signal?: AbortSignal } = {},
): Promise<AddCheckpointResponse> {
  const response = await fetch(`${url.replace(/\/+$/, '')}/add-checkpoint`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    body: formatAddCheckpointRequest(request),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await response.text();
  if (response.status === 200 && isSignatureLines(text)) {
    return { kind: 'cosigned', status: 200, cosignatures: text };
  }
  const size = SIZE_BODY.exec(text);
  if (response.status === 409 && size) {
    const currentSize = Number(size[1]);
    if (Number.isSafeInteger(currentSize)) return { kind: 'conflict', status: 409, currentSize };
  }
  return { kind: 'refused', status: response.status, message: text.slice(0, 1000).trim() };
}

function isSignatureLines(text: string): boolean {
  if (text.length === 0 || !text.endsWith('\n')) return false;
  return text
    .slice(0, -1)
    .split('\n')
    .every((line) => line.startsWith('\u2014 '));
}
