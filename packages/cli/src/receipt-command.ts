import {
  coseReceiptOf,
  decodeEvent,
  formatTlogProof,
  formatUuid,
  parseCheckpointNote,
  parseReceiptJson,
  type Receipt,
  receiptStatement,
  receiptToJson,
  ScittError,
  tlogProofOfReceipt,
} from '@msi/core';
import type { verifierV1 } from '@msi/proto';
import { receiptFromProto } from '@msi/wire';
import { CliError, EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFlagsOf, verifierConnection } from './config.js';
import { parseEventId } from './event-id.js';
import { booleanFlag, expectPositionals, parseFlags, stringFlag } from './parse-flags.js';
import { CliTileLog } from './tiles-client.js';
import { parseCount } from './trust-options.js';
import { openVerifierSession } from './verifier-connection.js';
import { writeOutput } from './write-output.js';

const HELP = `Usage: msi receipt <event-id> [--wait] [-o FILE] --server HOST:PORT [options]
       msi receipt <event-id> --format scitt --tiles URL -o FILE --server HOST:PORT [options]

Fetches the receipt of one event from the verifier and writes it (canonical JSON and a newline) to
standard output or FILE. Check it offline with msi verify: nothing here trusts the server.

Options:
  --wait                 wait for the event's round to be anchored instead of failing
  --timeout SECONDS      how long to wait (default 30)
  -o, --output FILE      write the receipt here instead of standard output
  --format FORMAT        receipt (default: receipt v1, canonical JSON); in-toto: an in-toto
                         Statement v1 about the event's data with the MSI receipt predicate v1 (the
                         receipt inside); tlog-proof: the round's inclusion in the calendar as a
                         C2SP tlog-proof, the round record as its extra data (docs/PROOFS.md §15);
                         scitt: a COSE receipt (draft-ietf-cose-merkle-tree-proofs, RFC9162_SHA256)
                         signed by the calendar, binary, to FILE (docs/PROOFS.md §16)
  --tiles URL            with --format scitt: the calendar's tile log, which serves the COSE tree
                         head (the calendar's signature) of the receipt's checkpoint
${CONNECTION_HELP.replace("the server's address", "the verifier's address (default: $MSI_VERIFIER_ADDRESS)")}
  -h, --help             this help

Exit status: 0 written, 1 the answer is not a receipt of that event, 2 usage error or unknown event,
3 verifier unreachable or the event not anchored yet.`;

export const receiptCommand: Command = {
  name: 'receipt',
  summary: "fetch an event's receipt from the verifier",
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('receipt', args, {
      ...CONNECTION_FLAGS,
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      tiles: { type: 'string' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const [idText = ''] = expectPositionals('receipt', flags, ['event-id']);
    const eventId = parseEventId(idText);
    const format = stringFlag(flags, 'format') ?? 'receipt';
    if (format !== 'receipt' && format !== 'in-toto' && format !== 'tlog-proof' && format !== 'scitt') {
      throw new CliError(
        'USAGE',
        `msi receipt: --format ${JSON.stringify(format)} is not receipt, in-toto, tlog-proof or scitt`,
      );
    }
    const tiles = stringFlag(flags, 'tiles');
    const output = stringFlag(flags, 'output');
    if ((format === 'scitt') !== (tiles !== undefined) || (format === 'scitt' && output === undefined)) {
      throw new CliError(
        'USAGE',
        'msi receipt: --format scitt needs --tiles URL and -o FILE (a COSE receipt is binary); --tiles is only for it',
      );
    }
    const tileLog = tiles === undefined ? undefined : new CliTileLog(tiles);
    const timeoutText = stringFlag(flags, 'timeout');
    const timeoutMs = 1000 * (timeoutText === undefined ? 30 : parseCount(timeoutText, '--timeout'));
    const session = await openVerifierSession(verifierConnection(connectionFlagsOf(flags), io.env));
    let text: string | Uint8Array;
    try {
      const response = await session.getReceipt(
        { eventId: Buffer.from(eventId), wait: booleanFlag(flags, 'wait') },
        timeoutMs,
      );
      const receipt = receiptOfEvent(response, formatUuid(eventId));
      text =
        tileLog === undefined ? formatReceipt(format as TextFormat, receipt) : await scitt(receipt, tileLog);
    } finally {
      session.close();
    }
    if (output === undefined) io.out(text as string);
    else await writeOutput(output, text);
    return EXIT.ok;
  },
};

type TextFormat = 'receipt' | 'in-toto' | 'tlog-proof';

/**
 * The COSE receipt of the receipt's event (docs/PROOFS.md §16) against the tile log's newest tree:
 * its checkpoint, the round's inclusion proof at that size from its tiles, and the calendar's COSE
 * tree head of that size. Not verified here (msi verify does, with the log key). A tile log that
 * does not hold the round yet (it may lag the verifier) is UNAVAILABLE; a tree head of another log
 * or size is refused (VERIFICATION_FAILED).
 */
async function scitt(receipt: Receipt, tiles: CliTileLog): Promise<Uint8Array> {
  const newest = await tiles.checkpoint();
  const size = checkpointSize(newest);
  const k = receipt.roundProof.leafIndex;
  if (k >= size) {
    throw new CliError('UNAVAILABLE', `the tile log (size ${size}) does not hold round ${k} yet: try again`);
  }
  const roundProof = { leafIndex: k, treeSize: size, hashes: await tiles.inclusion(k, size) };
  const treeHead = await tiles.coseTreeHead(size);
  try {
    const { extension: _, ...own } = receipt;
    return coseReceiptOf({ ...own, checkpoint: newest, roundProof }, treeHead);
  } catch (error: unknown) {
    if (!(error instanceof ScittError)) throw error;
    throw new CliError('VERIFICATION_FAILED', `no COSE receipt: ${error.message}`, { cause: error });
  }
}

function checkpointSize(note: string): number {
  try {
    return parseCheckpointNote(note).checkpoint.size;
  } catch (error: unknown) {
    throw new CliError('VERIFICATION_FAILED', 'the tile log sent a malformed checkpoint', { cause: error });
  }
}

/** The receipt in the format asked for (each ends with a newline). */
function formatReceipt(format: TextFormat, receipt: Receipt): string {
  switch (format) {
    case 'receipt':
      return `${receiptToJson(receipt)}\n`;
    case 'in-toto':
      return `${JSON.stringify(receiptStatement(receipt))}\n`;
    case 'tlog-proof':
      return formatTlogProof(tlogProofOfReceipt(receipt));
    default: {
      const _: never = format;
      return _;
    }
  }
}

/**
 * The receipt in a GetReceipt answer (hostile input), checked to be of the event asked for; its
 * proofs are for msi verify. Throws CliError VERIFICATION_FAILED.
 */
function receiptOfEvent(response: verifierV1.GetReceiptResponse, eventId: string): Receipt {
  let receipt: Receipt;
  try {
    if (response.receiptJson !== '') receipt = parseReceiptJson(response.receiptJson);
    else if (response.receipt !== undefined) receipt = receiptFromProto(response.receipt);
    else throw new Error('the answer holds no receipt');
    const answered = formatUuid(decodeEvent(receipt.event).eventId);
    if (answered !== eventId) throw new Error(`it is the receipt of event ${answered}`);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(
      'VERIFICATION_FAILED',
      `the verifier's answer is not a receipt of ${eventId}: ${reason}`,
      {
        cause: error,
      },
    );
  }
  return receipt;
}
