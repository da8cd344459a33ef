import { alerterV1 } from '@msi/proto';
import {
  alertJsonOf,
  CATEGORY_NAMES,
  type CategoryName,
  categoryToProto,
  SEVERITY_NAMES,
  type SeverityName,
  STATUS_NAMES,
  type StatusName,
  severityToProto,
  statusToProto,
} from '@msi/wire';
import { formatAlertLine } from './alert-line.js';
import { type AlerterSession, openAlerterSession } from './alerter-connection.js';
import { CliError, EXIT } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import {
  alerterConnection,
  CONNECTION_FLAGS,
  CONNECTION_HELP,
  colorOutput,
  connectionFlagsOf,
} from './config.js';
import { booleanFlag, type ParsedFlags, parseFlags, stringFlag } from './parse-flags.js';

const HELP = `Usage: msi alerts [--severity MIN] [--tenant T] [--rule R] [--category C] [--status S]
                  [--limit N] [--json] [--follow] [connection options]
       msi alerts ack <alert-id> [--note TEXT] [--json] [connection options]

Lists the alerter's alerts: the newest N that match, oldest first (the newest last), one line each —
when it was first seen (local time), severity, rule, tenant, message, how often it recurred, its
first event (msi receipt proves it), the round that event is anchored in, and the alert's id. An
auditor's key sees its tenant's alerts; an operator's key sees every alert. With --follow, the list
is followed by every new alert as it is raised, until Ctrl-C.

\`msi alerts ack <alert-id>\` acknowledges an alert (the operator role is needed).

Options:
  --severity MIN         only alerts at least this severe: low, medium, high, critical
  --tenant TENANT        only this tenant's alerts
  --rule RULE            only alerts of this rule (e.g. reader-not-allowed)
  --category C           only alerts of this family: policy, custody, integrity
  --status S             only open or only acknowledged alerts: open, acknowledged
  --limit N              list at most N alerts (default 20, at most 10000)
  --follow               after the list, print new alerts as they are raised, until Ctrl-C
  --json                 one JSON object per alert and line (snake_case; event ids as UUIDs)
  --note TEXT            (ack) why, or what was done
${CONNECTION_HELP.replace("the server's address", "the alerter's address (default: $MSI_ALERTER_ADDRESS, else 127.0.0.1:50054)")}
  -h, --help             this help

Exit status: 0 ok, 2 usage error or a request the alerter refused, 3 alerter unreachable.`;

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 10_000;
const PAGE = 1000;

export const alertsCommand: Command = {
  name: 'alerts',
  summary: "list, follow (--follow) or acknowledge (ack) the alerter's alerts",
  help: HELP,
  async run(args, io) {
    const flags = parseFlags('alerts', args, {
      ...CONNECTION_FLAGS,
      severity: { type: 'string' },
      tenant: { type: 'string' },
      rule: { type: 'string' },
      category: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      follow: { type: 'boolean' },
      json: { type: 'boolean' },
      note: { type: 'string' },
    });
    if (booleanFlag(flags, 'help')) {
      io.out(`${HELP}\n`);
      return EXIT.ok;
    }
    const [verb, ...rest] = flags.positionals;
    if (verb === 'ack') return acknowledge(flags, rest, io);
    if (verb !== undefined) {
      throw new CliError(
        'USAGE',
        `unknown argument "${verb.slice(0, 80)}": msi alerts takes no arguments, or ack <alert-id>`,
      );
    }
    if (stringFlag(flags, 'note') !== undefined)
      throw new CliError('USAGE', '--note goes with msi alerts ack');
    return list(flags, io);
  },
};

async function list(flags: ParsedFlags, io: CliIo): Promise<number> {
  const filter = filterOf(flags);
  const limit = limitOf(stringFlag(flags, 'limit'));
  const print = printerOf(flags, io);
  const session = await openAlerterSession(alerterConnection(connectionFlagsOf(flags), io.env));
  try {
    const newest = await newestAlerts(session, filter, limit);
    for (const alert of [...newest].reverse()) print(alert);
    if (!booleanFlag(flags, 'follow')) return EXIT.ok;
    if (!booleanFlag(flags, 'json')) io.err('following new alerts (Ctrl-C stops)…\n');
    // Resume after the newest listed alert: nothing raised in between is missed. With nothing
    // listed, every matching stored alert is new (it was raised after the list was taken).
    const after = newest[0]?.sequence ?? 0n;
    const stop = io.interrupted?.() ?? new AbortController().signal;
    await session.watchAlerts(
      alerterV1.WatchAlertsRequest.fromPartial({ filter, afterSequence: after }),
      print,
      stop,
    );
    return EXIT.ok;
  } finally {
    session.close();
  }
}

/** The newest `limit` alerts matching `filter`, newest first, over as many pages as needed. */
async function newestAlerts(
  session: AlerterSession,
  filter: alerterV1.AlertFilter,
  limit: number,
): Promise<alerterV1.Alert[]> {
  const alerts: alerterV1.Alert[] = [];
  let before = 0n;
  do {
    const page = await session.listAlerts(
      alerterV1.ListAlertsRequest.fromPartial({
        filter,
        pageSize: Math.min(PAGE, limit - alerts.length),
        beforeSequence: before,
      }),
    );
    alerts.push(...page.alerts.slice(0, limit - alerts.length));
    before = page.nextBefore;
  } while (before !== 0n && alerts.length < limit);
  return alerts;
}

async function acknowledge(flags: ParsedFlags, rest: readonly string[], io: CliIo): Promise<number> {
  const [alertId] = rest;
  if (alertId === undefined || rest.length !== 1) {
    throw new CliError(
      'USAGE',
      `msi alerts ack takes <alert-id>, got ${rest.length} argument(s) (see --help)`,
    );
  }
  if (!/^[0-9a-f]{64}$/.test(alertId)) {
    throw new CliError(
      'USAGE',
      `<alert-id> "${alertId.slice(0, 80)}" is not an alert id (64 lower-case hex digits; msi alerts prints them)`,
    );
  }
  const listOnly = ['severity', 'tenant', 'rule', 'category', 'status', 'limit', 'follow'].find(
    (name) => flags.values[name] !== undefined,
  );
  if (listOnly !== undefined) throw new CliError('USAGE', `--${listOnly} does not go with msi alerts ack`);
  const session = await openAlerterSession(alerterConnection(connectionFlagsOf(flags), io.env));
  try {
    const { alert } = await session.acknowledgeAlert(alertId, stringFlag(flags, 'note') ?? '');
    if (alert === undefined)
      throw new CliError('UNAVAILABLE', 'the alerter acknowledged but returned no alert');
    if (booleanFlag(flags, 'json')) io.out(`${JSON.stringify(alertJsonOf(alert))}\n`);
    else {
      const when = new Date(Number(alert.acknowledgedAtUs / 1000n)).toISOString();
      io.out(
        `acknowledged by ${alert.acknowledgedBy} at ${when}${alert.acknowledgeNote === '' ? '' : ` (${alert.acknowledgeNote})`}:\n`,
      );
      io.out(`${formatAlertLine(alert, { color: colorOutput(io.tty, io.env) })}\n`);
    }
    return EXIT.ok;
  } finally {
    session.close();
  }
}

/** Prints one alert: a JSON line with --json, else the readable line (coloured on a terminal). */
function printerOf(flags: ParsedFlags, io: CliIo): (alert: alerterV1.Alert) => void {
  if (booleanFlag(flags, 'json')) return (alert) => io.out(`${JSON.stringify(alertJsonOf(alert))}\n`);
  const color = colorOutput(io.tty, io.env);
  return (alert) => io.out(`${formatAlertLine(alert, { color })}\n`);
}

/** The filter flags as an AlertFilter; throws CliError USAGE naming the flag and its choices. */
export function filterOf(flags: ParsedFlags): alerterV1.AlertFilter {
  const severity = choice<SeverityName>(flags, 'severity', SEVERITY_NAMES);
  const category = choice<CategoryName>(flags, 'category', CATEGORY_NAMES);
  const status = choice<StatusName>(flags, 'status', STATUS_NAMES);
  return alerterV1.AlertFilter.fromPartial({
    tenant: nonEmptyFlag(flags, 'tenant') ?? '',
    rule: nonEmptyFlag(flags, 'rule') ?? '',
    ...(severity === undefined ? {} : { minSeverity: severityToProto(severity) }),
    ...(category === undefined ? {} : { category: categoryToProto(category) }),
    ...(status === undefined ? {} : { status: statusToProto(status) }),
  });
}

function choice<T extends string>(flags: ParsedFlags, name: string, choices: readonly T[]): T | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  const found = choices.find((c) => c === value.toLowerCase());
  if (found === undefined) {
    throw new CliError('USAGE', `--${name} "${value.slice(0, 80)}" is not one of ${choices.join(', ')}`);
  }
  return found;
}

function nonEmptyFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = stringFlag(flags, name);
  if (value === '') throw new CliError('USAGE', `--${name} is empty`);
  return value;
}

function limitOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new CliError(
      'USAGE',
      `--limit "${text.slice(0, 80)}" is not a whole number from 1 to ${MAX_LIMIT}`,
    );
  }
  return n;
}
