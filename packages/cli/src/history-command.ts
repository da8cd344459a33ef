import { encodeImprint, provDocument } from '@msi/core';
import { allPages } from './all-pages.js';
import { CliError, EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { imprintArgument, timeFlag } from './command-arguments.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFlagsOf, verifierConnection } from './config.js';
import { checkHistoryEntry, type HistoryRow, lineageOf } from './history-row.js';
import { loadTrust, TRUST_FLAGS, TRUST_HELP } from './load-trust.js';
import { booleanFlag, expectPositionals, parseFlags, stringFlag } from './parse-flags.js';
import { textTable } from './text-table.js';
import { openVerifierSession } from './verifier-connection.js';

const HELP = `Usage: msi history <data-imprint> --key VERIFIER_KEY --server HOST:PORT [options]

Prints the chain of custody of a data item (every event naming it as data, input or output, in
order) as a table, and the lineage its PROCESS and TRANSFER events establish. Every row's receipt is
verified offline with the trusted keys: VALID rows show what the receipt proves; UNANCHORED rows are
not anchored yet (shown as the server says); INVALID rows name the failing step.

Options:
  --from ISO8601         only events received at or after this time
  --to ISO8601           only events received before this time
  --json                 print a JSON object instead of the table
  --format FORMAT        table (default), json (as --json), or prov: the VALID rows as W3C PROV-JSON
                         (an entity per data imprint, an activity per event, an agent per actor and
                         submitter; docs/PROOFS.md §15)
${TRUST_HELP}
${CONNECTION_HELP.replace("the server's address", "the verifier's address (default: $MSI_VERIFIER_ADDRESS)")}
  -h, --help             this help

Exit status: 0 every anchored row verified, 1 some row did not, 2 usage error, 3 verifier unreachable.`;

export const historyCommand: Command = {
  name: 'history',
  summary: "a data item's chain of custody, each row verified",
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('history', args, {
      ...TRUST_FLAGS,
      ...CONNECTION_FLAGS,
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
      format: { type: 'string' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const [text = ''] = expectPositionals('history', flags, ['data-imprint']);
    const format = historyFormat(stringFlag(flags, 'format'), booleanFlag(flags, 'json'));
    const data = imprintArgument(text);
    const trust = await loadTrust(flags, io);
    const fromUs = timeFlag(stringFlag(flags, 'from'), '--from');
    const toUs = timeFlag(stringFlag(flags, 'to'), '--to');
    const session = await openVerifierSession(verifierConnection(connectionFlagsOf(flags), io.env));
    let rows: HistoryRow[];
    try {
      const entries = await allPages(async (pageToken) => {
        const response = await session.getHistory({
          data: Buffer.from(encodeImprint(data)),
          fromUs,
          toUs,
          pageSize: 1000,
          pageToken,
        });
        return { items: response.entries, next: response.nextPageToken };
      });
      rows = entries.map((entry) => checkHistoryEntry(entry, data, trust));
    } finally {
      session.close();
    }
    io.out(historyOutput(format, text, rows));
    return rows.some((row) => row.status === 'INVALID') ? EXIT.failed : EXIT.ok;
  },
};

type HistoryFormat = 'table' | 'json' | 'prov';

function historyFormat(flag: string | undefined, json: boolean): HistoryFormat {
  if (flag !== undefined && flag !== 'table' && flag !== 'json' && flag !== 'prov') {
    throw new CliError('USAGE', `msi history: --format ${JSON.stringify(flag)} is not table, json or prov`);
  }
  if (json && flag !== undefined && flag !== 'json') {
    throw new CliError('USAGE', 'msi history: --json and --format are the same choice; give one');
  }
  return json ? 'json' : (flag ?? 'table');
}

function historyOutput(format: HistoryFormat, text: string, rows: readonly HistoryRow[]): string {
  switch (format) {
    case 'table':
      return historyTable(rows);
    case 'json':
      return `${JSON.stringify(historyJson(text, rows))}\n`;
    case 'prov':
      // Only what the receipts prove: rows not VALID are left out of the PROV document.
      return `${JSON.stringify(provDocument(rows.flatMap((row) => (row.event === undefined ? [] : [row.event]))))}\n`;
    default: {
      const _: never = format;
      return _;
    }
  }
}

const COLUMNS = [
  'RECEIVED',
  'KIND',
  'ROLE',
  'TENANT',
  'ACTOR',
  'EVENT',
  'ROUND',
  'STATUS',
  'DETAIL',
] as const;

/**
 * The readable table: a header, one line per row, then (unless `lineage` is false) the lineage of the
 * verified rows; `empty` when there is no row.
 */
export function historyTable(
  rows: readonly HistoryRow[],
  options: { readonly empty?: string; readonly lineage?: boolean } = {},
): string {
  if (rows.length === 0) return `${options.empty ?? 'no events name this data item'}\n`;
  const cells = rows.map((row) => [
    row.receivedAt,
    row.kind,
    row.role,
    row.tenant,
    row.actor,
    row.eventId,
    row.round === null ? '-' : String(row.round),
    row.status === 'INVALID' ? `INVALID ${row.code ?? ''}` : row.status,
    row.detail,
  ]);
  const lineage = options.lineage === false ? [] : lineageOf(rows);
  return [
    ...textTable(COLUMNS, cells),
    ...(lineage.length === 0
      ? []
      : ['', 'Lineage (from verified events):', ...lineage.map((line) => `  ${line}`)]),
    '',
  ].join('\n');
}

/** The machine-readable history (`--json`). */
export function historyJson(data: string, rows: readonly HistoryRow[]): Record<string, unknown> {
  return {
    data,
    ok: !rows.some((row) => row.status === 'INVALID'),
    entries: rows.map(({ event: _, ...row }) => row),
    lineage: lineageOf(rows),
  };
}
