import { type DevStack, startDevStack } from './dev-stack.js';
import { formatOpenAlerts, type OpenAlertCounts, pollOpenAlerts } from './open-alerts.js';
import { type RoundSummary, watchRounds } from './round-watcher.js';
import type { ProcessLine } from './supervised-process.js';

export interface DevConsoleOptions {
  /** The repository root (services run from services/<name>/dist/main.js). */
  readonly root: string;
  /** Where state lives (see DevStackOptions.dataDir). */
  readonly dataDir: string;
  readonly natsUrl?: string | undefined;
  readonly databaseUrl?: string | undefined;
  /** Where the logs, the banner and the status line go (standard output). */
  readonly write: (text: string) => void;
  /** Standard output is a terminal: colours, and one status line rewritten in place. */
  readonly tty: boolean;
}

/** A running development stack with its console (prefixed logs, banner, live status line). */
export interface DevConsole {
  readonly stack: DevStack;
  /** Stops the status line and every process of the stack. */
  stop(): Promise<void>;
}

const COLORS = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m', '\x1b[31m'];
const RESET = '\x1b[0m';
const CLEAR_LINE = '\r\x1b[K';
/** How long the services may take to report SERVING. */
const SERVING_TIMEOUT_MS = 60_000;
/** How often the open alerts are counted. */
const ALERT_POLL_MS = 2000;

/**
 * One line of a service as the console shows it: `name | LEVEL message {extra fields}` (JSON log
 * records are unpacked; other lines are shown as they are), the name coloured with `color`.
 */
export function processLineText(line: ProcessLine, color: string | undefined): string {
  let text = line.line;
  try {
    const record = JSON.parse(line.line) as Record<string, unknown>;
    const { t: _t, level, service: _service, msg, ...rest } = record;
    if (typeof level === 'string' && typeof msg === 'string') {
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      text = `${level.toUpperCase().padEnd(5)} ${msg}${extra}`;
    }
  } catch {
    // not a JSON log record: shown as it is
  }
  const label = line.name.padEnd(12);
  return `${color === undefined ? label : `${color}${label}${RESET}`} | ${text}`;
}

/** The banner printed once everything serves: endpoints, keys and how to follow the alerts. */
export function devBanner(stack: DevStack): string[] {
  const { pipeline } = stack;
  return [
    '',
    'MSI is up (development mode: dev keys, plaintext gRPC on loopback).',
    `  ingest (gRPC)      ${pipeline.ingestAddress}`,
    `  verifier (gRPC)    ${pipeline.verifierAddress ?? '-'}`,
    `  alerter (gRPC)     ${pipeline.alerterAddress ?? '-'}`,
    `  alert policy       ${stack.policyFile}   (edit it: the alerter reloads it)`,
    `  NATS               ${stack.natsUrl}   (${stack.origin.nats})`,
    `  Postgres           ${stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')}   (${stack.origin.postgres})`,
    `  verifier key       ${pipeline.verifierKey}`,
    ...pipeline.witnesses.map((w) => `  witness            ${w.url}   key ${w.verifierKey}`),
    ...stack.apiKeys.map((k) => `  API key ${k.tenant.padEnd(10)} ${k.key}   (${k.roles.join(', ')})`),
    '',
    '  Follow the alerts:',
    `    MSI_API_KEY=${stack.operatorKey.key} npm run -s msi -- alerts --insecure${
      pipeline.alerterAddress === '127.0.0.1:50054' ? '' : ` --server ${pipeline.alerterAddress ?? ''}`
    } --follow`,
    '  Ctrl-C stops everything; state is kept for the next start.',
    '',
  ];
}

/**
 * The live status line: the last anchored round, the anchoring rate over recent rounds and the open
 * alerts (`undefined` before the first count, an Error when the alerter did not answer).
 */
export function statusLine(
  last: RoundSummary,
  eventsPerSecond: number,
  alerts: OpenAlertCounts | Error | undefined,
): string {
  const open =
    alerts === undefined
      ? 'open alerts: counting…'
      : alerts instanceof Error
        ? 'open alerts: ? (the alerter does not answer)'
        : formatOpenAlerts(alerts);
  return `status: round ${last.round} · ${last.seals} seal(s) · ${Math.round(eventsPerSecond)} events/s anchored · ${open}`;
}

/**
 * Starts the development stack (startDevStack) and its console: service logs prefixed with their
 * name, the banner once every service serves, then a status line (rewritten in place on a terminal,
 * every 10 s otherwise). Throws when the stack does not start; what it started is stopped then.
 */
export async function startDevConsole(options: DevConsoleOptions): Promise<DevConsole> {
  const { write, tty } = options;
  const colors = new Map<string, string>();
  const onLine = (line: ProcessLine) => {
    if (!colors.has(line.name)) colors.set(line.name, COLORS[colors.size % COLORS.length] ?? '');
    write(`${tty ? CLEAR_LINE : ''}${processLineText(line, tty ? colors.get(line.name) : undefined)}\n`);
  };
  write(`MSI development stack (data in ${options.dataDir}) — starting…\n`);
  const stack = await startDevStack({
    root: options.root,
    dataDir: options.dataDir,
    ...(options.natsUrl === undefined ? {} : { natsUrl: options.natsUrl }),
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    onLine,
    say: (line) => write(`${line}\n`),
  });
  try {
    await stack.pipeline.waitUntilServing(SERVING_TIMEOUT_MS);
  } catch (error: unknown) {
    await stack.stop();
    throw error;
  }
  write(`${devBanner(stack).join('\n')}\n`);

  let last: RoundSummary | undefined;
  let alerts: OpenAlertCounts | Error | undefined;
  const window: number[] = [];
  const stopWatching = await watchRounds(stack.natsUrl, stack.prefix, (round) => {
    last = round;
    window.push(round.events);
    if (window.length > 5) window.shift();
  });
  const stopPolling =
    stack.pipeline.alerterAddress === undefined
      ? () => {}
      : pollOpenAlerts(stack.pipeline.alerterAddress, stack.operatorKey.key, ALERT_POLL_MS, (result) => {
          alerts = result;
        });
  const status = setInterval(
    () => {
      if (last === undefined) return;
      const perSecond = window.reduce((a, b) => a + b, 0) / window.length;
      const line = statusLine(last, perSecond, alerts);
      write(tty ? `${CLEAR_LINE}${line}` : `${line}\n`);
    },
    tty ? 1000 : 10_000,
  );
  return {
    stack,
    async stop() {
      clearInterval(status);
      stopPolling();
      await stopWatching().catch(() => {});
      await stack.stop();
    },
  };
}
