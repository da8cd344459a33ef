import { type DevStack, startDevStack } from './dev-stack.js';
import { formatOpenAlerts, type OpenAlertCounts, pollOpenAlerts } from './open-alerts.js';
import { readableLogLine } from './readable-log.js';
import type { SupervisionEvent } from './restarter.js';
import { type RoundSummary, watchRounds } from './round-watcher.js';
import type { ProcessLine } from './supervised-process.js';
import { describeSupervisionEvent } from './supervision-text.js';

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

/** How the console draws a line: colours on a terminal only; times in this machine's zone by default. */
export interface LineStyle {
  /** The process name's colour; undefined: no colours at all (not a terminal). */
  readonly color: string | undefined;
  /** The IANA time zone log times are shown in (tests); default this machine's. */
  readonly timeZone?: string;
}

/**
 * One line of a service as the console shows it: `name | HH:MM:SS.mmm LEVEL service/component
 * message key=value …` (JSON log records made readable by readable-log.ts; other lines shown as
 * they are), coloured only with a `color`.
 */
export function processLineText(line: ProcessLine, style: LineStyle): string {
  return `${nameLabel(line.name, style.color)} | ${readableLogLine(line.line, logStyle(style))}`;
}

/**
 * A supervision event as the console shows it: `name | ! died (signal SIGKILL) after 3.2 s —
 * restarting in 250 ms`, the text of a bad configuration's last line made readable too.
 */
export function supervisionLineText(event: SupervisionEvent, style: LineStyle): string {
  const text = `! ${describeSupervisionEvent(event, (line) => readableLogLine(line, logStyle(style)))}`;
  const color = style.color === undefined ? undefined : EVENT_COLORS[event.kind];
  return `${nameLabel(event.name, style.color)} | ${color === undefined ? text : `${color}${text}${RESET}`}`;
}

const EVENT_COLORS: Readonly<Record<SupervisionEvent['kind'], string>> = {
  died: '\x1b[33m',
  'restart-failed': '\x1b[33m',
  restarted: '\x1b[32m',
  'left-down': '\x1b[1;31m',
};

function nameLabel(name: string, color: string | undefined): string {
  const label = name.padEnd(12);
  return color === undefined ? label : `${color}${label}${RESET}`;
}

function logStyle(style: LineStyle) {
  return {
    colors: style.color !== undefined,
    ...(style.timeZone === undefined ? {} : { timeZone: style.timeZone }),
  };
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
    `  tiles              ${pipeline.tilesUrl ?? '-'}   (the calendar as C2SP tlog-tiles)`,
    `  console            ${pipeline.consoleUrl ?? '-'}   (the auditors' web app: sign in with an API key below)`,
    `  openlineage        ${pipeline.openLineageUrl ?? '-'}   (OpenLineage RunEvents in: docs/OPENLINEAGE.md)`,
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
    '  A service or server that dies is restarted (one with a bad setting is not: the console says why).',
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
  const styleOf = (name: string): LineStyle => {
    if (!tty) return { color: undefined };
    if (!colors.has(name)) colors.set(name, COLORS[colors.size % COLORS.length] ?? '');
    return { color: colors.get(name) };
  };
  const onLine = (line: ProcessLine) => {
    write(`${tty ? CLEAR_LINE : ''}${processLineText(line, styleOf(line.name))}\n`);
  };
  const onSupervision = (event: SupervisionEvent) => {
    write(`${tty ? CLEAR_LINE : ''}${supervisionLineText(event, styleOf(event.name))}\n`);
  };
  write(`MSI development stack (data in ${options.dataDir}) — starting…\n`);
  const stack = await startDevStack({
    root: options.root,
    dataDir: options.dataDir,
    ...(options.natsUrl === undefined ? {} : { natsUrl: options.natsUrl }),
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    onLine,
    onSupervision,
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
