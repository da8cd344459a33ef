import type { ingestV1ShardAdmin } from '@msi/proto';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFlagsOf, ingestConnection } from './config.js';
import { booleanFlag, type ParsedFlags, parseFlags, stringFlag } from './parse-flags.js';
import { openShardAdminSession } from './shard-admin-connection.js';

const HELP = `Usage: msi shards [--json] [connection options]
       msi shards set <N> [--expect-version V] [--json] [connection options]

Shows the shard map in force: its version, each shard's state (active: new events go to it;
draining: it left the map and is sealed until every ingest instance has moved on; retired: still
sealed, an event found on it is an integrity alert), the aggregator holding it, its backlog (messages
not yet processed) and seal lag, and the map version each ingest instance routes by.

\`msi shards set N\` makes a new map version with N active shards, live: ingest and the aggregators
follow it without a restart, and nothing in flight is lost. It is a compare-and-set from the version
shown by \`msi shards\` (--expect-version, default: the version current when the command runs): when
another operator changed the map first, nothing is changed and the command says which version won.
Both need the operator role; they go through ingest's API, never directly to the bus.

Options:
  --expect-version V     (set) change the map only if it is still at version V
  --json                 the map as one JSON object
${CONNECTION_HELP.replace("the server's address", "ingest's address (default: $MSI_INGEST_ADDRESS, else 127.0.0.1:50051)")}
  -h, --help             this help

Exit status: 0 ok, 2 usage error or a change refused (another change won: read the map again), 3 ingest unreachable.`;

export const shardsCommand: Command = {
  name: 'shards',
  summary: 'show the shard map, or change the shard count live (set N)',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('shards', args, {
      ...CONNECTION_FLAGS,
      json: { type: 'boolean' },
      'expect-version': { type: 'string' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const [verb, count, ...rest] = flags.positionals;
    if (verb === undefined) {
      if (stringFlag(flags, 'expect-version') !== undefined)
        throw new CliError('USAGE', '--expect-version goes with msi shards set');
      return show(flags, io);
    }
    if (verb !== 'set' || rest.length > 0) {
      throw new CliError(
        'USAGE',
        `unknown argument "${verb.slice(0, 80)}": msi shards takes no arguments, or set <N>`,
      );
    }
    return set(flags, countOf(count), io);
  },
};

async function show(flags: ParsedFlags, io: CliIo): Promise<number> {
  const session = await openShardAdminSession(ingestConnection(connectionFlagsOf(flags), io.env));
  try {
    print(await session.getShardMap(), flags, io);
    return EXIT.ok;
  } finally {
    session.close();
  }
}

async function set(flags: ParsedFlags, count: number, io: CliIo): Promise<number> {
  const expected = versionOf(stringFlag(flags, 'expect-version'));
  const session = await openShardAdminSession(ingestConnection(connectionFlagsOf(flags), io.env));
  try {
    const { map } = await session.setShardCount(count, expected);
    if (map === undefined) throw new CliError('UNAVAILABLE', 'ingest answered without the map');
    print(map, flags, io);
    return EXIT.ok;
  } finally {
    session.close();
  }
}

function countOf(text: string | undefined): number {
  if (text === undefined || !/^[1-9][0-9]{0,3}$/.test(text) || Number(text) > 4096) {
    throw new CliError(
      'USAGE',
      `msi shards set: N must be a shard count from 1 to 4096, got ${JSON.stringify(text ?? '')}`,
    );
  }
  return Number(text);
}

function versionOf(text: string | undefined): bigint {
  if (text === undefined) return 0n;
  if (!/^[1-9][0-9]{0,15}$/.test(text)) {
    throw new CliError(
      'USAGE',
      `--expect-version must be a map version (a positive integer), got ${JSON.stringify(text)}`,
    );
  }
  return BigInt(text);
}

function print(map: ingestV1ShardAdmin.GetShardMapResponse, flags: ParsedFlags, io: CliIo): void {
  if (booleanFlag(flags, 'json')) {
    io.out(`${JSON.stringify(jsonOf(map))}\n`);
    return;
  }
  const at = new Date(Number(map.changedAtMs)).toISOString();
  io.out(
    `shard map version ${map.version}: ${map.activeCount} active shards (by ${map.changedBy} at ${at})\n`,
  );
  io.out('shard  state     since  owner                backlog  seal lag\n');
  for (const s of map.shards) {
    const lag = s.statusAtMs === 0n ? '-' : `${s.sealLagMs} ms`;
    io.out(
      `${String(s.shard).padStart(5)}  ${s.state.padEnd(8)}  v${String(s.sinceVersion).padEnd(5)} ${(s.owner || '-').padEnd(20)} ${String(s.backlog).padStart(7)}  ${lag}\n`,
    );
  }
  for (const i of map.instances) {
    io.out(`ingest ${i.instance}: routes by v${i.mapVersion}${i.live ? '' : ' (not live)'}\n`);
  }
}

function jsonOf(map: ingestV1ShardAdmin.GetShardMapResponse): unknown {
  return {
    version: Number(map.version),
    active_count: map.activeCount,
    changed_at_ms: Number(map.changedAtMs),
    changed_by: map.changedBy,
    shards: map.shards.map((s) => ({
      shard: s.shard,
      state: s.state,
      since_version: Number(s.sinceVersion),
      owner: s.owner,
      backlog: Number(s.backlog),
      seal_lag_ms: Number(s.sealLagMs),
      status_at_ms: Number(s.statusAtMs),
    })),
    instances: map.instances.map((i) => ({
      instance: i.instance,
      map_version: Number(i.mapVersion),
      live: i.live,
    })),
  };
}
