import type { verifierV1 } from '@msi/proto';
import { CliError, EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFlagsOf, verifierConnection } from './config.js';
import { formatMicros } from './format-time.js';
import { booleanFlag, parseFlags } from './parse-flags.js';
import { textTable } from './text-table.js';
import { openVerifierSession } from './verifier-connection.js';

const HELP = `Usage: msi witnesses [--json] [connection options]

Prints every witness the verifier has seen cosigning the calendar: its name and key id, the largest
calendar size it cosigned, the time T of that cosignature (the witness's own claim, by its clock),
and how far it lags the newest checkpoint — in calendar entries, and in time between the closing of
the two rounds. Public: no API key is needed. The verifier checks the cosignatures of the witness
keys it is configured with (MSI_VERIFIER_WITNESS_KEYS) and lists the others as seen; \`msi verify
--witness KEY --quorum N\` is what checks a receipt's cosignatures with the keys you trust.

Options:
  --json                 print a JSON object instead of the table
${CONNECTION_HELP.replace("the server's address", "the verifier's address (default: $MSI_VERIFIER_ADDRESS)")}
  -h, --help             this help

Exit status: 0 ok, 2 usage error, 3 verifier unreachable.`;

export const witnessesCommand: Command = {
  name: 'witnesses',
  summary: 'the witnesses cosigning the calendar and how far each lags (public)',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('witnesses', args, { ...CONNECTION_FLAGS, json: { type: 'boolean' } });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    if (flags.positionals.length > 0) throw new CliError('USAGE', 'msi witnesses takes no arguments');
    const session = await openVerifierSession(verifierConnection(connectionFlagsOf(flags), io.env));
    let status: verifierV1.GetWitnessStatusResponse;
    try {
      status = await session.getWitnessStatus();
    } finally {
      session.close();
    }
    const witnesses = status.witnesses.map(witnessOf);
    io.out(
      booleanFlag(flags, 'json')
        ? `${JSON.stringify({ checkpointSize: Number(status.checkpointSize), witnesses })}\n`
        : witnessesTable(Number(status.checkpointSize), witnesses),
    );
    return EXIT.ok;
  },
};

/** A witness as printed (the verifier's fields). */
export interface WitnessRow {
  readonly name: string;
  readonly keyId: string;
  readonly cosignedSize: number;
  readonly cosignedAt: string;
  readonly lagEntries: number;
  /** Seconds, to the microsecond. */
  readonly lagSeconds: number;
}

function witnessOf(w: verifierV1.WitnessStatus): WitnessRow {
  const at = Number(w.cosignedAtUs);
  return {
    name: w.name,
    keyId: w.keyId,
    cosignedSize: Number(w.cosignedSize),
    cosignedAt: Number.isSafeInteger(at) && at >= 0 ? formatMicros(at) : '-',
    lagEntries: Number(w.lagEntries),
    lagSeconds: Number(w.lagUs) / 1e6,
  };
}

function witnessesTable(size: number, witnesses: readonly WitnessRow[]): string {
  const head = `newest checkpoint: size ${size}`;
  if (witnesses.length === 0) return `${head}\nno witness has cosigned the calendar\n`;
  const rows = witnesses.map((w) => [
    w.name,
    w.keyId,
    String(w.cosignedSize),
    w.cosignedAt,
    String(w.lagEntries),
    `${w.lagSeconds.toFixed(3)} s`,
  ]);
  return [
    head,
    ...textTable(['WITNESS', 'KEY ID', 'COSIGNED', 'AT (its clock)', 'LAG', 'LAG TIME'], rows),
    '',
  ].join('\n');
}
