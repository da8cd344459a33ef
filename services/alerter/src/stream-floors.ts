import { every, type RunningLoop } from '@msi/service-kit';
import type { JetStreamManager } from '@nats-io/jetstream';

/**
 * The first sequence still stored in some streams (their retention deletes older messages), read
 * every `everyMs`: a round whose events are older than the events stream's floor will never see them
 * staged, so it must not wait for them.
 */
export class StreamFloors {
  readonly #floors = new Map<string, number>();
  readonly #jsm: JetStreamManager;
  readonly #streams: readonly string[];
  #loop: RunningLoop | undefined;

  constructor(jsm: JetStreamManager, streams: readonly string[]) {
    this.#jsm = jsm;
    this.#streams = streams;
  }

  async start(everyMs = 5000): Promise<void> {
    await this.refresh();
    this.#loop = every({
      intervalMs: everyMs,
      waitFirst: true,
      run: () => this.refresh(),
      onError: () => {},
    });
  }

  async refresh(): Promise<void> {
    for (const stream of this.#streams) {
      const info = await this.#jsm.streams.info(stream);
      this.#floors.set(stream, info.state.first_seq);
    }
  }

  /** The stream's first stored sequence as last read (1 before the first read). */
  floor(stream: string): number {
    return this.#floors.get(stream) ?? 1;
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
  }
}
