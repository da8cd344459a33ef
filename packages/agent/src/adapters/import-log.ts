import { type EventInput, type MsiClient, MsiClientError } from '@msi/client';
import { falcoAlert } from './falco-alert.js';
import { osqueryFileEvent } from './osquery-file-event.js';
import { AdapterError } from './record-fields.js';

export const LOG_FORMATS = ['osquery', 'falco'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What an import sent, and the lines it refused (1-based line numbers, with why). */
export interface ImportSummary {
  readonly sent: number;
  readonly refused: readonly { readonly line: number; readonly message: string }[];
}

const CONVERT: Readonly<Record<LogFormat, (line: string) => EventInput>> = {
  osquery: (line) => osqueryFileEvent(line),
  falco: falcoAlert,
};

/**
 * Turns each line of an osquery results log or of Falco's JSON output into an MSI event and emits
 * it individually (so the alerter and history see it), resolving once all are durable. Blank lines
 * are skipped; a line that is not a record of the format, or whose event ingest refuses (a record
 * older than ingest's window, say), is refused, naming its line.
 */
export async function importLog(text: string, format: LogFormat, client: MsiClient): Promise<ImportSummary> {
  const refused: { line: number; message: string }[] = [];
  let sent = 0;
  const sends: Promise<void>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const refuse = (error: unknown) => {
      const known =
        error instanceof AdapterError || (error instanceof MsiClientError && error.code === 'INVALID_EVENT');
      if (!known) throw error;
      refused.push({ line: i + 1, message: error.message });
    };
    try {
      sends.push(client.emit(CONVERT[format](line)).then(() => void sent++, refuse));
    } catch (error: unknown) {
      refuse(error);
    }
  });
  await Promise.all(sends);
  return { sent, refused: refused.sort((a, b) => a.line - b.line) };
}
