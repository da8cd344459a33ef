import {
  extendReceipt,
  type Publication,
  parseReceiptJson,
  type Receipt,
  ReceiptError,
  type ReceiptExtension,
  receiptToJson,
  verifyReceipt,
  verifyReceiptAgainstPublication,
} from '@msi/core';
import { nodeEd25519, nodeHasher } from '@msi/crypto-node';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFlagsOf, verifierConnection } from './config.js';
import { fetchExtension, parseExtensionFile } from './extension-file.js';
import { formatFailureLine } from './format-verified.js';
import { givesTrust, loadTrust, TRUST_FLAGS, TRUST_HELP } from './load-trust.js';
import { booleanFlag, expectPositionals, type ParsedFlags, parseFlags, stringFlag } from './parse-flags.js';
import { fetchPublicationExtension, readPublication } from './publication-file.js';
import { parseJsonText, readText } from './read-input.js';
import { CliTileLog, tileLogExtension } from './tiles-client.js';
import { writeOutput } from './write-output.js';

const HELP = `Usage: msi extend <receipt.json> (--from FILE | --server HOST:PORT | --tiles URL) --key VERIFIER_KEY [-o OUT]
       msi extend <receipt.json> --publication FILE [--server HOST:PORT] [--key VERIFIER_KEY] [-o OUT]

Extends a receipt to a later checkpoint: the newest one the verifier at --server has checked, or
the one in FILE, {"checkpoint": "<note>", "consistency": ["<base64>", ...]} (a later checkpoint and
the consistency proof from the receipt's checkpoint size to it; offline). The extended receipt is
verified with the trusted keys before it is written (canonical JSON and a newline) to standard
output or OUT: nothing the server sends is trusted.

Options:
  --from FILE          the later checkpoint and consistency proof ("-" reads standard input)
  --tiles URL          extend to the newest checkpoint of the calendar's C2SP tlog-tiles log at URL
                       (\`npm start\` prints it), the consistency proof computed from its tiles
  --cosigned           from the verifier: extend to the newest checkpoint that carries witness
                       cosignatures (witnesses cosign at their own interval, so it may be older
                       than the newest); the default when --quorum asks for cosignatures
  --publication FILE   extend to exactly this publication (needs no key)
  -o, --output OUT     write the extended receipt here instead of standard output
${TRUST_HELP}
${CONNECTION_HELP.replace("the server's address", "the verifier's address, instead of --from")}
  -h, --help           this help

Exit status: 0 written, 1 the extended receipt does not verify, 2 usage or input error,
3 verifier unreachable.`;

export const extendCommand: Command = {
  name: 'extend',
  summary: 'extend a receipt to a later checkpoint (from the verifier or a file)',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('extend', args, {
      ...TRUST_FLAGS,
      ...CONNECTION_FLAGS,
      from: { type: 'string' },
      publication: { type: 'string' },
      tiles: { type: 'string' },
      cosigned: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const [path = '-'] = expectPositionals('extend', flags, ['receipt.json']);
    const from = stringFlag(flags, 'from');
    const server = stringFlag(flags, 'server');
    const publicationPath = stringFlag(flags, 'publication');
    const tiles = stringFlag(flags, 'tiles');
    const sources = [from, server, publicationPath, tiles].filter((source) => source !== undefined).length;
    if (tiles !== undefined && sources > 1) {
      throw new CliError(
        'USAGE',
        'msi extend: give --tiles URL alone, not with --from, --server or --publication (see msi extend --help)',
      );
    }
    if (from !== undefined && server !== undefined) {
      throw new CliError(
        'USAGE',
        'msi extend: give --from FILE or --server HOST:PORT, not both (see msi extend --help)',
      );
    }
    if (from !== undefined && publicationPath !== undefined) {
      throw new CliError(
        'USAGE',
        'msi extend: give --from FILE or --publication FILE, not both (see msi extend --help)',
      );
    }
    if (publicationPath !== undefined) {
      return extendToPublication(flags, path, await readPublication(publicationPath, io), io);
    }
    // Without --from, the verifier's address comes from --server or MSI_VERIFIER_ADDRESS (config.ts);
    // naming neither is a usage error there.
    const trust = await loadTrust(flags, io);
    const text = await readText(path, io.stdin, 'receipt');
    parseJsonText(text, path, 'receipt');
    let extendedJson: string;
    try {
      const receipt = parseReceiptJson(text);
      const extension =
        tiles !== undefined
          ? await tileLogExtension(receipt, new CliTileLog(tiles))
          : from === undefined
            ? await fetchExtension(receipt, verifierConnection(connectionFlagsOf(flags), io.env), {
                cosigned: booleanFlag(flags, 'cosigned') || (trust.quorum ?? 0) > 0,
              })
            : parseExtensionFile(
                parseJsonText(await readText(from, io.stdin, 'extension file'), from, 'extension file'),
                from,
              );
      const extended = extendReceipt(receipt, extension);
      verifyReceipt(extended, trust, { hasher: nodeHasher(), ed25519: nodeEd25519() });
      extendedJson = `${receiptToJson(extended)}\n`;
    } catch (error: unknown) {
      if (!(error instanceof ReceiptError)) throw error;
      io.err(`${formatFailureLine(error.code, error.message)}\n`);
      return EXIT.failed;
    }
    const output = stringFlag(flags, 'output');
    if (output === undefined) io.out(extendedJson);
    else await writeOutput(output, extendedJson);
    return EXIT.ok;
  },
};

/** `msi extend --publication`: keys are optional; the result must verify against the publication. */
async function extendToPublication(
  flags: ParsedFlags,
  path: string,
  publication: Publication,
  io: CliIo,
): Promise<number> {
  const trust = givesTrust(flags) ? await loadTrust(flags, io) : undefined;
  const text = await readText(path, io.stdin, 'receipt');
  parseJsonText(text, path, 'receipt');
  let extendedJson: string;
  try {
    const receipt: Receipt = parseReceiptJson(text);
    const extension: ReceiptExtension = await fetchPublicationExtension(receipt, publication, () =>
      verifierConnection(connectionFlagsOf(flags), io.env),
    );
    const extended = extendReceipt(receipt, extension);
    verifyReceiptAgainstPublication(extended, publication, nodeHasher());
    if (trust !== undefined) verifyReceipt(extended, trust, { hasher: nodeHasher(), ed25519: nodeEd25519() });
    extendedJson = `${receiptToJson(extended)}\n`;
  } catch (error: unknown) {
    if (!(error instanceof ReceiptError)) throw error;
    io.err(`${formatFailureLine(error.code, error.message)}\n`);
    return EXIT.failed;
  }
  const output = stringFlag(flags, 'output');
  if (output === undefined) io.out(extendedJson);
  else await writeOutput(output, extendedJson);
  return EXIT.ok;
}
