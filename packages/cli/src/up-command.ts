import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT } from './cli-error.js';
import type { Command } from './command.js';
import { devStackSettings, REPOSITORY_ROOT } from './config.js';
import { booleanFlag, parseFlags, stringFlag } from './parse-flags.js';

const HELP = `Usage: msi up [--data-dir DIR]

Starts the whole system on this machine in development mode, exactly as \`npm start\` does (which
also builds first): NATS (nats-server from PATH, or $MSI_NATS_URL), Postgres (embedded, or
$MSI_DATABASE_URL), the calendar, two aggregators, ingest, the verifier, a witness and the alerter,
with prefixed logs, the endpoints, dev keys and alert policy printed, and a live status line with
the open alerts. A service or server that dies is started again with backoff (one that exits 2, a
bad setting, is not: the console says why). State is kept under DIR for the next start. Ctrl-C
stops everything.

Options:
  --data-dir DIR         where state, dev keys and policy.yaml live (default: $MSI_DATA_DIR, else
                         .msi in the repository)
  -h, --help             this help

Exit status: 0 stopped with Ctrl-C, 2 usage error (e.g. the services are not built), 3 the stack
could not start.`;

/** The services `msi up` runs, whose builds it checks first. */
const SERVICES = ['calendar', 'aggregator', 'ingest', 'verifier', 'witness', 'alerter'];

export const upCommand: Command = {
  name: 'up',
  summary: 'start the whole system on this machine (development mode), like npm start',
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('up', args, { 'data-dir': { type: 'string' } });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    if (flags.positionals.length > 0) {
      throw new CliError('USAGE', `msi up takes no arguments, got "${flags.positionals[0]}" (see --help)`);
    }
    const root = REPOSITORY_ROOT;
    const missing = SERVICES.filter((s) => !existsSync(join(root, 'services', s, 'dist', 'main.js')));
    if (missing.length > 0) {
      throw new CliError(
        'USAGE',
        `the services are not built (${missing.join(', ')}): run \`npx tsc -b\` in ${root} first (npm start builds and starts)`,
      );
    }
    const settings = devStackSettings(io.env, stringFlag(flags, 'data-dir'));
    // Loaded here, not at the top: the other commands do not need the stack's dependencies.
    const { startDevConsole } = await import('@msi/stack');
    const stop = io.interrupted?.() ?? new AbortController().signal;
    let devConsole: Awaited<ReturnType<typeof startDevConsole>>;
    try {
      devConsole = await startDevConsole({
        root,
        dataDir: settings.dataDir,
        natsUrl: settings.natsUrl,
        databaseUrl: settings.databaseUrl,
        write: io.out,
        tty: io.tty === true,
      });
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliError('UNAVAILABLE', `could not start: ${reason}`, { cause: error });
    }
    if (!stop.aborted) {
      await new Promise<void>((done) => stop.addEventListener('abort', () => done(), { once: true }));
    }
    io.out(`\n${String(stop.reason ?? 'interrupted')}: stopping…\n`);
    await devConsole.stop();
    io.out('stopped.\n');
    return EXIT.ok;
  },
};
