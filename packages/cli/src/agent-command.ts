import {
  type AgentSettings,
  importLog,
  LOG_FORMATS,
  type LogFormat,
  loadAgentSettings,
  openAgent,
  runAgentService,
} from '@msi/agent';
import { createClient } from '@msi/client';
import { ConfigError, createLogger } from '@msi/service-kit';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { booleanFlag, parseFlags, stringFlag } from './parse-flags.js';
import { readText } from './read-input.js';

const HELP = `Usage: msi agent --config FILE            run the agent (a daemon; SIGTERM stops it)
       msi agent baseline --config FILE   anchor the full state of the watched files, then exit
       msi agent import --format osquery|falco FILE --config FILE
                                          send each record of a monitor's log as an MSI event

The MSI agent watches the files its YAML config names (packages/agent/README.md): each change is
sent at once as its own STATE or DELETE event, spooled on disk while ingest is away; a baseline and
every periodic rescan anchor the unchanged state in aggregate. Everything it sent is in its local
index (state_dir), so \`msi state\` can prove what it reported. A config with errors is refused with
one line per problem, <file>:<line>:<column> <field>: <message>. The API key is read from the
environment variable the config names (ingest.api_key_env, default MSI_AGENT_API_KEY).

The import action reads osquery's results log (file_events, JSON lines: a STATE or DELETE with the file's
SHA-256, or the record's own hash when osquery did not hash it) or Falco's JSON output (the record
itself anchored as the data, the user or process as actor, the host and container as location),
and sends each record as an individual event; a line that is not such a record is refused, naming
its line (exit 1).

Options:
  --config FILE   the agent's YAML config (required)
  --format F      import: osquery or falco
  -h, --help      this help

Exit status: 0 done (or stopped by a signal), 1 a fatal error, 2 usage or config error.`;

export const agentCommand: Command = {
  name: 'agent',
  summary: 'run the MSI agent (watch files, anchor their states), or take a baseline',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('agent', args, { config: { type: 'string' }, format: { type: 'string' } });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const configFile = stringFlag(flags, 'config');
    if (configFile === undefined)
      throw new CliError('USAGE', 'msi agent: --config FILE is required (see msi agent --help)');
    const [verb, ...rest] = flags.positionals;
    if (verb === undefined) return runAgentService(configFile);
    if (verb === 'baseline' && rest.length === 0) return baseline(loadSettings(configFile, io), io);
    if (verb === 'import' && rest.length === 1) {
      const format = stringFlag(flags, 'format');
      if (!LOG_FORMATS.includes(format as LogFormat)) {
        throw new CliError('USAGE', `msi agent import: --format must be one of ${LOG_FORMATS.join(', ')}`);
      }
      const text = await readText(rest[0] as string, io.stdin, `${format} log`);
      return importRecords(loadSettings(configFile, io), text, format as LogFormat, io);
    }
    throw new CliError(
      'USAGE',
      `msi agent: unknown action "${flags.positionals.join(' ')}" (see msi agent --help)`,
    );
  },
};

function loadSettings(configFile: string, io: CliIo): AgentSettings {
  try {
    return loadAgentSettings(configFile, io.env);
  } catch (error: unknown) {
    if (error instanceof ConfigError)
      throw new CliError('INPUT', error.problems.join('\n'), { cause: error });
    throw error;
  }
}

async function baseline(settings: AgentSettings, io: CliIo): Promise<number> {
  const log = createLogger({ service: 'agent', level: settings.logLevel, write: io.err });
  const open = await openAgent({ ...settings, log, nowMs: io.now });
  try {
    await open.client.resumeTrees();
    const summary = await open.agent.baseline();
    await open.agent.settled();
    if (settings.config.ingest.verifier !== undefined) await open.client.anchored();
    io.out(
      `baseline of ${settings.host}: ${summary.aggregated} file state(s) anchored in aggregate, ${summary.changes} change(s) sent on their own${summary.refused > 0 ? `, ${summary.refused} refused (spool full)` : ''}\n`,
    );
    return EXIT.ok;
  } finally {
    await open.close();
  }
}

async function importRecords(
  settings: AgentSettings,
  text: string,
  format: LogFormat,
  io: CliIo,
): Promise<number> {
  const { ingest } = settings.config;
  const client = createClient({
    ingest: ingest.address,
    apiKey: settings.apiKey,
    insecure: ingest.insecure,
    now: io.now,
  });
  try {
    const summary = await importLog(text, format, client);
    for (const r of summary.refused) io.err(`line ${r.line}: ${r.message}\n`);
    io.out(`${summary.sent} ${format} record(s) sent, ${summary.refused.length} refused\n`);
    return summary.refused.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await client.close();
  }
}
