import { alerterV1 } from '@msi/proto';
import { eventIdText, severityName } from '@msi/wire';
import { formatLocalMillis } from './format-time.js';

export interface AlertLineOptions {
  /** ANSI colours (a terminal). */
  readonly color: boolean;
  /** The local zone's offset east of UTC at a given time, minutes (default: this machine's). */
  readonly offsetMinutes?: (millis: number) => number;
}

const SEVERITY_COLOR: Readonly<Record<string, string>> = {
  critical: '\x1b[1;31m',
  high: '\x1b[31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const SEVERITY_WIDTH = 'CRITICAL'.length;

const localOffset = (millis: number) => -new Date(millis).getTimezoneOffset();

/**
 * One alert on one line (its text is the server's: control characters, escapes included, are
 * replaced, so an alert cannot repaint the terminal): when it was first seen (local time), severity, rule, tenant (`system` for
 * system-wide alerts), message, `×N` when it recurred, its first event, its round when anchored, a
 * mark when acknowledged, and its id (what `msi alerts ack` takes).
 */
export function formatAlertLine(alert: alerterV1.Alert, options: AlertLineOptions): string {
  const paint = (code: string | undefined, text: string) =>
    options.color && code !== undefined ? `${code}${text}${RESET}` : text;
  const millis = Math.floor(Number(alert.firstSeenUs) / 1000);
  const severity = severityName(alert.severity);
  const first = alert.eventIds[0];
  const parts = [
    paint(DIM, formatLocalMillis(millis, (options.offsetMinutes ?? localOffset)(millis))),
    paint(SEVERITY_COLOR[severity], severity.toUpperCase().padEnd(SEVERITY_WIDTH)),
    oneLine(alert.rule),
    alert.tenant === '' ? 'system' : oneLine(alert.tenant),
    oneLine(alert.message),
    ...(alert.occurrences > 1n ? [`×${alert.occurrences}`] : []),
    ...(first === undefined ? [] : [`event ${eventIdText(first)}`]),
    ...(alert.anchoredRound > 0n ? [`round ${alert.anchoredRound}`] : []),
    ...(alert.status === alerterV1.Status.STATUS_ACKNOWLEDGED
      ? [`[acknowledged by ${oneLine(alert.acknowledgedBy)}]`]
      : []),
    paint(DIM, `id ${alert.alertId}`),
  ];
  return parts.join('  ');
}

/** Server text shown on one line: line breaks and other control characters become spaces. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}
