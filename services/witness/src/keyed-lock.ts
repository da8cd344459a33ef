/**
 * Runs tasks one at a time per key, in call order; tasks of different keys run concurrently. The
 * witness uses it so that checking a request against the stored state and persisting the new state
 * is atomic per origin (the race C2SP tlog-witness warns about).
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
