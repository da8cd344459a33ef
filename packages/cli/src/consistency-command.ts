import { type Checkpoint, CheckpointError, openCheckpoint, parseCheckpointNote } from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { ProofError, verifyConsistency } from '@msi/merkle';
import { CliError, EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { parseProofHashes } from './consistency-proof.js';
import { failureJson } from './format-verified.js';
import { loadTrust, TRUST_FLAGS } from './load-trust.js';
import { booleanFlag, expectPositionals, parseFlags, stringFlag } from './parse-flags.js';
import { parseJsonText, readText } from './read-input.js';
import { CliTileLog } from './tiles-client.js';

const HELP = `Usage: msi consistency <old-checkpoint> <new-checkpoint> --key VERIFIER_KEY --proof FILE|-
       msi consistency <old-checkpoint> [<new-checkpoint>] --key VERIFIER_KEY --tiles URL

Proves that one state of the calendar extends another: checks both checkpoints' signatures with the
trusted log key(s), that they name the same log, and the RFC 9162 consistency proof between them.
A forked or rewritten calendar fails here. Offline with --proof: no server is contacted. With
--tiles, the proof is computed from the calendar's C2SP tlog-tiles log at URL, and without a new
checkpoint, its newest checkpoint is the new one; nothing the log serves is trusted.

Options:
  --key VERIFIER_KEY   a trusted log key <origin>+<id>+<base64> (repeatable)
  --trust FILE         a trust file {"logKeys": [...]}
  --proof FILE|-       the consistency proof: a JSON array of base64 hashes ("-" reads standard input)
  --tiles URL          compute the proof from this tlog-tiles log (\`npm start\` prints its URL)
  --json               print a JSON object instead of a line
  -h, --help           this help

Exit status: 0 consistent, 1 not consistent (or a checkpoint does not verify), 2 usage or input error.`;

/** Why two checkpoints were not shown consistent. */
export type ConsistencyFailureCode =
  | 'CHECKPOINT_MALFORMED'
  | 'UNTRUSTED_KEY'
  | 'SIGNATURE_INVALID'
  | 'ORIGIN_MISMATCH'
  | 'SIZE_DECREASED'
  | 'CONSISTENCY_PROOF_INVALID';

class Inconsistent extends Error {
  constructor(
    readonly code: ConsistencyFailureCode,
    message: string,
  ) {
    super(message);
  }
}

export const consistencyCommand: Command = {
  name: 'consistency',
  summary: 'prove one checkpoint extends another (catches a forked calendar)',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('consistency', args, {
      key: TRUST_FLAGS.key,
      trust: TRUST_FLAGS.trust,
      proof: { type: 'string' },
      tiles: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const tiles = stringFlag(flags, 'tiles');
    const proofPath = stringFlag(flags, 'proof') ?? '';
    if (proofPath === '' && tiles === undefined) {
      throw new CliError(
        'USAGE',
        'msi consistency: --proof FILE|- is required, or --tiles URL (see msi consistency --help)',
      );
    }
    if (proofPath !== '' && tiles !== undefined) {
      throw new CliError('USAGE', 'msi consistency: give --proof FILE|- or --tiles URL, not both');
    }
    const [oldPath = '', newPath] =
      tiles !== undefined && flags.positionals.length === 1
        ? [flags.positionals[0]]
        : expectPositionals('consistency', flags, ['old-checkpoint', 'new-checkpoint']);
    const json = booleanFlag(flags, 'json');
    const { logKeys } = await loadTrust(flags, io);
    const oldText = await readText(oldPath, io.stdin, 'old checkpoint');
    const log = tiles === undefined ? undefined : new CliTileLog(tiles);
    const newText =
      newPath === undefined
        ? await (log as CliTileLog).checkpoint()
        : await readText(newPath, io.stdin, 'new checkpoint');
    const proof =
      log === undefined
        ? parseProofHashes(
            parseJsonText(
              await readText(proofPath, io.stdin, 'consistency proof'),
              proofPath,
              'consistency proof',
            ),
            'the proof',
          )
        : await proofFromTiles(log, oldText, newText);
    try {
      const ed25519 = nodeEd25519();
      const older = open('old', () => openCheckpoint(oldText, logKeys, ed25519));
      const newer = open('new', () => openCheckpoint(newText, logKeys, ed25519));
      checkPair(older, newer, proof, nodeHasher());
      const line = `CONSISTENT ${newer.origin} ${older.size} -> ${newer.size}`;
      io.out(
        `${json ? JSON.stringify({ ok: true, origin: newer.origin, oldSize: older.size, newSize: newer.size }) : line}\n`,
      );
      return EXIT.ok;
    } catch (error: unknown) {
      if (!(error instanceof Inconsistent)) throw error;
      const line = `INCONSISTENT ${error.code}: ${error.message}`;
      io.out(`${json ? JSON.stringify(failureJson(error.code, error.message)) : line}\n`);
      return EXIT.failed;
    }
  },
};

/** The proof between the two checkpoints' sizes from the tiles (none when a size does not parse: checked later). */
async function proofFromTiles(log: CliTileLog, oldText: string, newText: string): Promise<Uint8Array[]> {
  let sizes: [number, number];
  try {
    sizes = [parseCheckpointNote(oldText).checkpoint.size, parseCheckpointNote(newText).checkpoint.size];
  } catch (error: unknown) {
    if (error instanceof CheckpointError) return [];
    throw error;
  }
  const [size1, size2] = sizes;
  return size1 >= 1 && size1 <= size2 ? log.consistency(size1, size2) : [];
}

function open(which: string, run: () => { checkpoint: Checkpoint }): Checkpoint {
  try {
    return run().checkpoint;
  } catch (error: unknown) {
    if (!(error instanceof CheckpointError)) throw error;
    const code: ConsistencyFailureCode =
      error.code === 'UNTRUSTED_KEY' || error.code === 'SIGNATURE_INVALID'
        ? error.code
        : 'CHECKPOINT_MALFORMED';
    throw new Inconsistent(code, `${which} checkpoint: ${error.message}`);
  }
}

function checkPair(
  older: Checkpoint,
  newer: Checkpoint,
  proof: readonly Uint8Array[],
  hasher: ReturnType<typeof nodeHasher>,
): void {
  if (older.origin !== newer.origin) {
    throw new Inconsistent('ORIGIN_MISMATCH', `the checkpoints are of ${older.origin} and ${newer.origin}`);
  }
  if (newer.size < older.size) {
    throw new Inconsistent('SIZE_DECREASED', `new size ${newer.size} is below old size ${older.size}`);
  }
  try {
    verifyConsistency(hasher, older.size, newer.size, proof, older.root, newer.root);
  } catch (error: unknown) {
    if (!(error instanceof ProofError)) throw error;
    throw new Inconsistent(
      'CONSISTENCY_PROOF_INVALID',
      `${older.size} -> ${newer.size}: ${error.code}: ${error.message}`,
    );
  }
}
