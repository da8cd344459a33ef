import { allPages } from './all-pages.js';
import { CliError, EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { timeFlag } from './command-arguments.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFlagsOf, verifierConnection } from './config.js';
import { historyTable } from './history-command.js';
import { checkActorEntry, type HistoryRow } from './history-row.js';
import { loadTrust, TRUST_FLAGS, TRUST_HELP } from './load-trust.js';
import { booleanFlag, parseFlags, stringFlag } from './parse-flags.js';
import { openVerifierSession } from './verifier-connection.js';

const HELP = `Usage: msi search --actor NAME --key VERIFIER_KEY --server HOST:PORT [options]

Prints the events an actor or submitter took part in (its name exactly as in the events), newest
first, as msi history does: every row's receipt is verified offline with the trusted keys and must
name NAME in the role the verifier claims (ROLE: actor, submitter, or both). VALID rows show what the
receipt proves; UNANCHORED rows are not anchored yet (shown as the server says); INVALID rows name
the failing step. The verifier needs the auditor role: your tenant's events and TRANSFERs to it.

Options:
  --actor NAME           the actor or submitter (required)
  --from ISO8601         only events received at or after this time
  --to ISO8601           only events received before this time
  --json                 print a JSON object instead of the table
${TRUST_HELP}
${CONNECTION_HELP.replace("the server's address", "the verifier's address (default: $MSI_VERIFIER_ADDRESS)")}
  -h, --help             this help

Exit status: 0 every anchored row verified, 1 some row did not, 2 usage error, 3 verifier unreachable.`;

export const searchCommand: Command = {
  name: 'search',
  summary: 'the events an actor or submitter took part in, newest first, each row verified',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('search', args, {
      ...TRUST_FLAGS,
      ...CONNECTION_FLAGS,
      actor: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    if (flags.positionals.length > 0)
      throw new CliError('USAGE', 'msi search takes no arguments: --actor NAME');
    const actor = stringFlag(flags, 'actor');
    if (actor === undefined || actor === '')
      throw new CliError('USAGE', 'msi search: --actor NAME is required');
    const trust = await loadTrust(flags, io);
    const fromUs = timeFlag(stringFlag(flags, 'from'), '--from');
    const toUs = timeFlag(stringFlag(flags, 'to'), '--to');
    const session = await openVerifierSession(verifierConnection(connectionFlagsOf(flags), io.env));
    let rows: HistoryRow[];
    try {
      const entries = await allPages(async (pageToken) => {
        const response = await session.searchByActor({ actor, fromUs, toUs, pageSize: 1000, pageToken });
        return { items: response.entries, next: response.nextPageToken };
      });
      rows = entries.map((entry) => checkActorEntry(entry, actor, trust));
    } finally {
      session.close();
    }
    const ok = !rows.some((row) => row.status === 'INVALID');
    io.out(
      booleanFlag(flags, 'json')
        ? `${JSON.stringify({ actor, ok, entries: rows.map(({ event: _, ...row }) => row) })}\n`
        : historyTable(rows, { empty: 'no events name this actor', lineage: false }),
    );
    return ok ? EXIT.ok : EXIT.failed;
  },
};
