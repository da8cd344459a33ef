import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openCheckpoint, parsePublication, type ReceiptTrust } from '@msi/core';
import { nodeEd25519 } from '@msi/crypto-node';
import type { verifierV1 } from '@msi/proto';
import { allPages } from './all-pages.js';
import { CliError, EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFlagsOf, verifierConnection } from './config.js';
import { formatSeconds } from './format-time.js';
import { givesTrust, loadTrust, TRUST_FLAGS, TRUST_HELP } from './load-trust.js';
import { booleanFlag, parseFlags, stringFlag } from './parse-flags.js';
import { textTable } from './text-table.js';
import { openVerifierSession } from './verifier-connection.js';
import { writeOutput } from './write-output.js';

const HELP = `Usage: msi publications [--json] [-o DIR] [--key VERIFIER_KEY] [connection options]

Lists the calendar's publications (docs/PROOFS.md §10) the verifier checked and keeps, newest first:
time, calendar size, origin. Each text is parsed here (publication v1, strictly); what is printed
comes from the text, and a text whose time or size is not what the verifier listed is INVALID. With
--key, the log signature of each publication's checkpoint is checked too (VALID; UNCHECKED without
keys). \`msi verify --publication FILE\` and \`msi extend --publication FILE\` use a publication.
Public: no API key is needed.

Options:
  -o, --output DIR       also write each publication text to DIR/publication-<seconds>.txt
  --json                 print a JSON object instead of the table
${TRUST_HELP}
${CONNECTION_HELP.replace("the server's address", "the verifier's address (default: $MSI_VERIFIER_ADDRESS)")}
  -h, --help             this help

Exit status: 0 ok, 1 some publication INVALID, 2 usage error, 3 verifier unreachable.`;

export const publicationsCommand: Command = {
  name: 'publications',
  summary: "the calendar's publications, newest first (-o DIR writes each text; public)",
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('publications', args, {
      ...TRUST_FLAGS,
      ...CONNECTION_FLAGS,
      output: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    if (flags.positionals.length > 0) throw new CliError('USAGE', 'msi publications takes no arguments');
    const trust = givesTrust(flags) ? await loadTrust(flags, io) : undefined;
    const dir = stringFlag(flags, 'output');
    const session = await openVerifierSession(verifierConnection(connectionFlagsOf(flags), io.env));
    let listed: verifierV1.Publication[];
    try {
      listed = await allPages(async (pageToken) => {
        const response = await session.listPublications({ pageSize: 1000, pageToken });
        return { items: response.publications, next: response.nextPageToken };
      });
    } finally {
      session.close();
    }
    const rows = listed.map((p) => checkPublication(p, trust));
    if (dir !== undefined) {
      await mkdir(dir, { recursive: true }).catch((error: unknown) => {
        throw new CliError('INPUT', `cannot create ${dir}: ${String(error)}`, { cause: error });
      });
      for (const [i, row] of rows.entries()) {
        const text = listed[i]?.text ?? '';
        if (row.status !== 'INVALID') await writeOutput(join(dir, `publication-${row.time}.txt`), text);
      }
    }
    io.out(
      booleanFlag(flags, 'json')
        ? `${JSON.stringify({ publications: rows.map((row, i) => ({ ...row, text: listed[i]?.text ?? '' })) })}\n`
        : publicationsTable(rows),
    );
    return rows.some((row) => row.status === 'INVALID') ? EXIT.failed : EXIT.ok;
  },
};

/** A publication as printed: from its text (hostile input), checked against what the verifier listed. */
export interface PublicationRow {
  readonly status: 'VALID' | 'UNCHECKED' | 'INVALID';
  readonly code?: string;
  readonly message?: string;
  /** Seconds since the epoch (the text's `time`; the listed one when the text does not parse). */
  readonly time: number;
  readonly size: number;
  readonly origin: string;
}

function checkPublication(
  listed: { readonly timeUs: bigint; readonly size: bigint; readonly text: string },
  trust: ReceiptTrust | undefined,
): PublicationRow {
  const claimed = { time: Number(listed.timeUs / 1_000_000n), size: Number(listed.size), origin: '-' };
  let publication: ReturnType<typeof parsePublication>;
  try {
    publication = parsePublication(listed.text);
  } catch (error: unknown) {
    const code = (error as { code?: string }).code ?? 'PUBLICATION_MALFORMED';
    return { ...claimed, status: 'INVALID', code, message: String((error as Error).message) };
  }
  const row = {
    time: publication.time,
    size: publication.checkpoint.size,
    origin: publication.checkpoint.origin,
  };
  if (BigInt(row.time) * 1_000_000n !== listed.timeUs || BigInt(row.size) !== listed.size) {
    return {
      ...row,
      status: 'INVALID',
      code: 'LISTING_MISMATCH',
      message: 'listed with another time or size',
    };
  }
  if (trust === undefined) return { ...row, status: 'UNCHECKED' };
  try {
    openCheckpoint(publication.note, trust.logKeys, nodeEd25519());
  } catch (error: unknown) {
    const code = (error as { code?: string }).code ?? 'SIGNATURE_INVALID';
    return { ...row, status: 'INVALID', code, message: String((error as Error).message) };
  }
  return { ...row, status: 'VALID' };
}

function publicationsTable(rows: readonly PublicationRow[]): string {
  if (rows.length === 0) return 'no publications yet\n';
  const cells = rows.map((r) => [
    formatSeconds(r.time),
    String(r.size),
    r.origin,
    r.status === 'INVALID' ? `INVALID ${r.code ?? ''}` : r.status,
  ]);
  return [...textTable(['TIME', 'SIZE', 'ORIGIN', 'STATUS'], cells), ''].join('\n');
}
