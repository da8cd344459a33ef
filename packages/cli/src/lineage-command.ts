import { encodeImprint, formatImprint, type Imprint, parseImprint } from '@msi/core';
import { verifierV1 } from '@msi/proto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { CliError, EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { countFlag, imprintArgument } from './command-arguments.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFlagsOf, verifierConnection } from './config.js';
import { imprintOfFile } from './hash-file.js';
import { eventIdText } from './history-row.js';
import { booleanFlag, parseFlags, stringFlag } from './parse-flags.js';
import { textTable } from './text-table.js';
import { openVerifierSession } from './verifier-connection.js';

const HELP = `Usage: msi lineage <data-imprint> | --file FILE [--direction up|down|both] [--depth N]
                   [--links N] [--json] [connection options]

Prints a data item's lineage across several hops, as the verifier's projection shows it: the
PROCESS links (inputs -> outputs) and TRANSFER links (tenant -> tenant) upstream (what the item was
made from) and downstream (what was made from it), breadth first, only through events your tenant
may see (auditor role). The links are the verifier's word, NOT verified here: no receipt comes with
them; \`msi receipt <event>\` then \`msi verify\` proves any event listed, and \`msi history <imprint>\`
verifies every event of one item.

Options:
  --file FILE            the item is this file (hashed here with sha256; only its imprint is sent)
  --direction D          up, down or both (default both)
  --depth N              at most N hops (1-16; default 4)
  --links N              at most N links (1-5000; default 1000)
  --json                 print a JSON object instead of the table
${CONNECTION_HELP.replace("the server's address", "the verifier's address (default: $MSI_VERIFIER_ADDRESS)")}
  -h, --help             this help

Exit status: 0 ok, 2 usage error or a request the verifier refused, 3 verifier unreachable.`;

const DIRECTIONS: Readonly<Record<string, verifierV1.LineageDirection>> = {
  up: verifierV1.LineageDirection.LINEAGE_DIRECTION_UPSTREAM,
  down: verifierV1.LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM,
  both: verifierV1.LineageDirection.LINEAGE_DIRECTION_BOTH,
};

export const lineageCommand: Command = {
  name: 'lineage',
  summary: "a data item's lineage over several hops, up and downstream (the verifier's word)",
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('lineage', args, {
      ...CONNECTION_FLAGS,
      file: { type: 'string' },
      direction: { type: 'string' },
      depth: { type: 'string' },
      links: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const data = await itemOf(flags.positionals, stringFlag(flags, 'file'));
    const name = stringFlag(flags, 'direction') ?? 'both';
    const direction = DIRECTIONS[name];
    if (direction === undefined)
      throw new CliError('USAGE', `--direction "${name.slice(0, 80)}" is not up, down or both`);
    const maxDepth = countFlag(stringFlag(flags, 'depth'), '--depth', 16) ?? 0;
    const maxLinks = countFlag(stringFlag(flags, 'links'), '--links', 5000) ?? 0;
    const session = await openVerifierSession(verifierConnection(connectionFlagsOf(flags), io.env));
    let response: verifierV1.GetLineageResponse;
    try {
      response = await session.getLineage({
        data: Buffer.from(encodeImprint(data)),
        direction,
        maxDepth,
        maxLinks,
      });
    } finally {
      session.close();
    }
    const hops = response.hops.map(hopOf);
    io.out(
      booleanFlag(flags, 'json')
        ? `${JSON.stringify({ data: formatImprint(data), direction: name, verified: false, truncated: response.truncated, hops })}\n`
        : lineageTable(hops, response.truncated),
    );
    return EXIT.ok;
  },
};

async function itemOf(positionals: readonly string[], file: string | undefined): Promise<Imprint> {
  if (file !== undefined && positionals.length === 0) return imprintOfFile(file);
  if (file === undefined && positionals.length === 1) return imprintArgument(positionals[0] ?? '');
  throw new CliError('USAGE', 'msi lineage takes one <data-imprint> or --file FILE (see msi lineage --help)');
}

/** A hop as printed (the server's fields, hostile input: shown, never trusted). */
export interface LineageHopRow {
  readonly depth: number;
  readonly direction: 'up' | 'down' | '?';
  readonly kind: string;
  readonly eventId: string;
  readonly from: string[];
  readonly to: string[];
  readonly fromTenant: string;
  readonly toTenant: string;
  readonly anchored: boolean;
  readonly round: number | null;
}

function hopOf(hop: verifierV1.LineageHop): LineageHopRow {
  const link = hop.link;
  const D = verifierV1.LineageDirection;
  return {
    depth: hop.depth,
    direction:
      hop.direction === D.LINEAGE_DIRECTION_UPSTREAM
        ? 'up'
        : hop.direction === D.LINEAGE_DIRECTION_DOWNSTREAM
          ? 'down'
          : '?',
    kind:
      link?.kind === verifierV1.LinkKind.LINK_KIND_PROCESS
        ? 'PROCESS'
        : link?.kind === verifierV1.LinkKind.LINK_KIND_TRANSFER
          ? 'TRANSFER'
          : 'UNKNOWN',
    eventId: link === undefined ? '-' : eventIdText(link.eventId),
    from: (link?.fromData ?? []).map(imprintText),
    to: (link?.toData ?? []).map(imprintText),
    fromTenant: link?.fromTenant ?? '',
    toTenant: link?.toTenant ?? '',
    anchored: hop.anchored,
    round: hop.anchored ? Number(hop.round) : null,
  };
}

function imprintText(bytes: Uint8Array): string {
  try {
    return formatImprint(parseImprint(bytes));
  } catch {
    return `?${bytesToHex(bytes).slice(0, 64)}`;
  }
}

const COLUMNS = ['DEPTH', 'WAY', 'KIND', 'EVENT', 'ROUND', 'LINK'] as const;

/** The readable lineage: one line per hop, then whether the walk was cut short. */
export function lineageTable(hops: readonly LineageHopRow[], truncated: boolean): string {
  const note = truncated ? ['', 'truncated: more links lie beyond --depth or --links'] : [];
  if (hops.length === 0) return [`no lineage links visible for this item`, ...note, ''].join('\n');
  const cells = hops.map((h) => [
    String(h.depth),
    h.direction,
    h.kind,
    h.eventId,
    h.round === null ? '-' : String(h.round),
    h.kind === 'TRANSFER'
      ? `${h.from.join(' + ')}  ${h.fromTenant} -> ${h.toTenant}`
      : `${h.from.join(' + ')} -> ${h.to.join(' + ')}`,
  ]);
  return [
    "Lineage as the verifier's projection shows it (not verified here: msi receipt <event> proves one):",
    ...textTable(COLUMNS, cells),
    ...note,
    '',
  ].join('\n');
}
