import {
  CheckpointError,
  parseCheckpointNote,
  type Receipt,
  ReceiptError,
  type ReceiptExtension,
} from '@msi/core';
import { nodeHasher } from '@msi/crypto-node';
import { TileLogClient, TileLogError } from '@msi/tiles-client';
import { CliError } from './cli-error.js';

/**
 * A C2SP tlog-tiles log over HTTP for `--tiles URL` (@msi/tiles-client), its errors as the CLI's:
 * a bad URL is USAGE, a log that does not answer UNAVAILABLE, a malformed file VERIFICATION_FAILED.
 */
export class CliTileLog {
  readonly #log: TileLogClient;

  constructor(base: string) {
    this.#log = cliErrors(() => new TileLogClient(base, { hasher: nodeHasher() }));
  }

  /** The log's newest checkpoint note. */
  checkpoint(): Promise<string> {
    return cliErrorsAsync(() => this.#log.checkpoint());
  }

  /** The calendar's COSE tree head of `size` (docs/PROOFS.md §16), checked with the receipt made of it. */
  coseTreeHead(size: number): Promise<Uint8Array> {
    return cliErrorsAsync(() => this.#log.coseTreeHead(size));
  }

  /** The RFC 9162 inclusion proof of leaf `index` in the tree of `size`, from the log's tiles. */
  inclusion(index: number, size: number): Promise<Uint8Array[]> {
    return cliErrorsAsync(() => this.#log.inclusion(index, size));
  }

  /** The RFC 9162 consistency proof from size1 to size2, computed from the log's tiles. */
  consistency(size1: number, size2: number): Promise<Uint8Array[]> {
    return cliErrorsAsync(() => this.#log.consistency(size1, size2));
  }
}

function asCliError(error: unknown): unknown {
  if (!(error instanceof TileLogError)) return error;
  const code =
    error.code === 'URL_INVALID'
      ? 'USAGE'
      : error.code === 'UNAVAILABLE'
        ? 'UNAVAILABLE'
        : 'VERIFICATION_FAILED';
  return new CliError(code, error.code === 'URL_INVALID' ? `--tiles ${error.message}` : error.message);
}

function cliErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (error: unknown) {
    throw asCliError(error);
  }
}

async function cliErrorsAsync<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error: unknown) {
    throw asCliError(error);
  }
}

/**
 * The extension of a receipt to the tile log's newest checkpoint, with the consistency proof from the
 * receipt's checkpoint computed from the tiles. Trusts nothing: the caller verifies the result.
 */
export async function tileLogExtension(receipt: Receipt, log: CliTileLog): Promise<ReceiptExtension> {
  const oldSize = sizeOf(receipt.checkpoint, () => {
    throw new ReceiptError('CHECKPOINT_MALFORMED', "the receipt's checkpoint is malformed");
  });
  const checkpoint = await log.checkpoint();
  const newSize = sizeOf(checkpoint, () => {
    throw new CliError('VERIFICATION_FAILED', 'the tile log sent a malformed checkpoint');
  });
  if (newSize < oldSize) {
    throw new CliError(
      'VERIFICATION_FAILED',
      `the tile log's checkpoint (size ${newSize}) is older than the receipt's (size ${oldSize})`,
    );
  }
  return { checkpoint, consistency: await log.consistency(oldSize, newSize) };
}

function sizeOf(note: string, malformed: () => never): number {
  try {
    return parseCheckpointNote(note).checkpoint.size;
  } catch (error: unknown) {
    if (error instanceof CheckpointError) malformed();
    throw error;
  }
}
