import {
  CheckpointError,
  checkAggregatedProofs,
  openCheckpoint,
  type Publication,
  parseAggregatedReceiptJson,
  ReceiptError,
  type ReceiptTrust,
  ReceiptVerifier,
  receiptCodeOf,
  ScittError,
  type VerifiedAgainstPublication,
  verifyCoseReceipt,
  verifyCosignatures,
  verifyReceiptAgainstPublication,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { CliError, EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { formatSeconds } from './format-time.js';
import {
  aggregatedJson,
  coseJson,
  failureJson,
  formatAggregatedLine,
  formatCoseLine,
  formatFailureLine,
  formatPublishedLine,
  formatVerifiedLine,
  publishedJson,
  verifiedJson,
} from './format-verified.js';
import { givesTrust, loadTrust, TRUST_FLAGS, TRUST_HELP } from './load-trust.js';
import { booleanFlag, expectPositionals, parseFlags, stringFlag } from './parse-flags.js';
import { readPublication } from './publication-file.js';
import { parseJsonText, readBytes, textOf } from './read-input.js';

const HELP = `Usage: msi verify <receipt.json> --key VERIFIER_KEY [options]
       msi verify <receipt.json> --publication FILE [--key VERIFIER_KEY] [options]

Verifies a receipt OFFLINE (no server is contacted) against the keys you trust, and prints one
line of what it proves: VALID event <id> <kind> <tenant> <data> round <k> closed <closed_at>
checkpoint <origin>@<size> witnesses: <name>@<time>, ...
A receipt of an aggregated event (version 2, as msi emit --aggregate --receipts-dir writes them)
prints VALID aggregated event <id> <kind> <tenant> <data> leaf <i> of <n> of root event <id>
submitted by <submitter> ..., the root event's round, checkpoint and witnesses (docs/PROOFS.md §13).
On failure prints INVALID <CODE>: <message>, where CODE names the failing step (docs/PROOFS.md §8, §13).

A COSE receipt (msi receipt --format scitt; the file starts with the COSE_Sign1 tag 0xd2) is verified
with the log key alone (docs/PROOFS.md §16) and prints VALID event ... COSE receipt <origin>@<size>.
It carries no cosignature: with --quorum above 0 it fails QUORUM_NOT_MET; --publication is refused.

With --publication FILE (a publication you trust, from a newspaper, a web page, a colleague), no
key is needed: the receipt's checkpoint, or the later checkpoint it was extended to (msi extend
--publication), must be exactly the publication's, and the line ends "published <time>". Keys
given as well are checked too, on the receipt and on the publication's signatures.

Options:
  --publication FILE   verify against this publication (see above; "-" reads standard input)
${TRUST_HELP}
  --json               print a JSON object instead ({"ok": true, ...} or {"ok": false, "code", "message"})
  -h, --help           this help

Exit status: 0 valid, 1 invalid, 2 usage or input error.`;

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify a receipt offline against trusted keys or a publication',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('verify', args, {
      ...TRUST_FLAGS,
      json: { type: 'boolean' },
      publication: { type: 'string' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const [path = '-'] = expectPositionals('verify', flags, ['receipt.json']);
    const json = booleanFlag(flags, 'json');
    const publicationPath = stringFlag(flags, 'publication');
    const publication =
      publicationPath === undefined ? undefined : await readPublication(publicationPath, io);
    const trust = publication === undefined || givesTrust(flags) ? await loadTrust(flags, io) : undefined;
    const bytes = await readBytes(path, io.stdin, 'receipt');
    if (bytes[0] === COSE_SIGN1_FIRST_BYTE && (publication !== undefined || trust === undefined)) {
      throw new CliError('USAGE', 'msi verify: a COSE receipt is verified with --key, not --publication');
    }
    const text = bytes[0] === COSE_SIGN1_FIRST_BYTE ? undefined : textOf(bytes, path, 'receipt');
    if (text !== undefined) parseJsonText(text, path, 'receipt'); // not JSON at all: an input error
    try {
      const line =
        text === undefined
          ? coseVerdict(bytes, trust as ReceiptTrust, json)
          : verdict(text, trust, publication, json);
      io.out(`${line}\n`);
      return EXIT.ok;
    } catch (error: unknown) {
      if (!(error instanceof ReceiptError) && !(error instanceof ScittError)) throw error;
      io.out(
        `${json ? JSON.stringify(failureJson(error.code, error.message)) : formatFailureLine(error.code, error.message)}\n`,
      );
      return EXIT.failed;
    }
  },
};

/** The first byte of a tagged COSE_Sign1 (tag 18): never the first byte of a JSON text. */
const COSE_SIGN1_FIRST_BYTE = 0xd2;

/**
 * The output line (or JSON) of a valid COSE receipt (docs/PROOFS.md §16) against the log keys; throws
 * ScittError when it is not, and ReceiptError QUORUM_NOT_MET when witnesses were asked for.
 */
function coseVerdict(bytes: Uint8Array, trust: ReceiptTrust, json: boolean): string {
  const verified = verifyCoseReceipt(bytes, trust, { hasher: nodeHasher(), ed25519: nodeEd25519() });
  if ((trust.quorum ?? 0) > 0) {
    throw new ReceiptError(
      'QUORUM_NOT_MET',
      `a COSE receipt carries no cosignature; ${trust.quorum} asked for`,
    );
  }
  return json ? JSON.stringify(coseJson(verified)) : formatCoseLine(verified);
}

/** The output line (or JSON) of a valid receipt of either version; throws ReceiptError when it is not. */
function verdict(
  text: string,
  trust: ReceiptTrust | undefined,
  publication: Publication | undefined,
  json: boolean,
): string {
  const hasher = nodeHasher();
  const verified =
    trust === undefined
      ? undefined
      : new ReceiptVerifier(trust, { hasher, ed25519: nodeEd25519() }).verify(text);
  const line = (): string => {
    if (verified === undefined) throw new Error('unreachable: no trust and no publication');
    if (verified.version === 2)
      return json ? JSON.stringify(aggregatedJson(verified)) : formatAggregatedLine(verified);
    return json ? JSON.stringify(verifiedJson(verified)) : formatVerifiedLine(verified);
  };
  if (publication === undefined) return line();
  if (trust !== undefined) checkPublicationSignatures(publication, trust);
  const published = againstPublication(text, publication, hasher);
  if (verified === undefined) {
    return json ? JSON.stringify(publishedJson(published)) : formatPublishedLine(published);
  }
  if (json) return JSON.stringify({ ...JSON.parse(line()), published: publishedJson(published).published });
  return `${line()}  published ${formatSeconds(published.publishedAt)}`;
}

/**
 * A receipt against a publication (docs/PROOFS.md §10): of a receipt v2, its local proof and root
 * receipt's proofs, then the root receipt against the publication.
 */
function againstPublication(
  text: string,
  publication: Publication,
  hasher: ReturnType<typeof nodeHasher>,
): VerifiedAgainstPublication {
  if (versionOf(text) !== 2) return verifyReceiptAgainstPublication(text, publication, hasher);
  const receipt = parseAggregatedReceiptJson(text);
  checkAggregatedProofs(receipt, hasher);
  return verifyReceiptAgainstPublication(receipt.rootReceipt, publication, hasher);
}

/** The `version` member of a JSON text (already known to be JSON), or undefined. */
function versionOf(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;
}

/**
 * With keys given next to a publication, its note's signatures are checked like a receipt's
 * checkpoint (docs/PROOFS.md §7): the log key, and the cosignatures of trusted witnesses.
 */
function checkPublicationSignatures(publication: Publication, trust: ReceiptTrust): void {
  try {
    openCheckpoint(publication.note, trust.logKeys, nodeEd25519());
    verifyCosignatures(publication.note, trust.witnessKeys ?? [], nodeEd25519());
  } catch (error: unknown) {
    if (error instanceof CheckpointError) {
      throw new ReceiptError(receiptCodeOf(error), `publication: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
