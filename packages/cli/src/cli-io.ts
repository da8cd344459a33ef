import type { Readable } from 'node:stream';

/** What a command may touch of the outside world: passed in, so commands run in tests unchanged. */
export interface CliIo {
  /** Writes to standard output (results: summary lines, JSON, receipts). */
  readonly out: (text: string) => void;
  /** Writes to standard error (progress, diagnostics). */
  readonly err: (text: string) => void;
  /** Standard input, for the `-` file name. */
  readonly stdin: () => Readable;
  /** The environment, read only by config.ts. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The clock (milliseconds since the epoch), for event ids and occurred_at. */
  readonly now: () => number;
  /** Standard output is a terminal (colours, lines rewritten in place); absent = it is not. */
  readonly tty?: boolean;
  /**
   * A signal aborted on Ctrl-C or SIGTERM, for commands that run until stopped (`alerts --follow`,
   * `up`). Signals are caught only once a command asks for this; absent = never interrupted.
   */
  readonly interrupted?: () => AbortSignal;
}
