/**
 * Whether a service serves, from what it depends on: each dependency (the NATS connection, a
 * database, JetStream confirmed after a reconnect…) is up or down, and the service serves while all
 * are up and it is not stopping. grpc.health.v1 and the metrics server's /healthz both follow it, so
 * a service whose database or bus is away says NOT_SERVING instead of exiting, and SERVING again
 * once it is back.
 */
export class ServiceHealth {
  readonly #down = new Map<string, string>();
  readonly #listeners = new Set<(serving: boolean) => void>();
  #stopping = false;
  #serving = true;

  /** True while every dependency is up and the service is not stopping. */
  get serving(): boolean {
    return this.#serving;
  }

  /** The dependencies that are down, with why. */
  get down(): ReadonlyMap<string, string> {
    return this.#down;
  }

  /** Marks `dependency` up or down (`reason` says why it is down). */
  set(dependency: string, up: boolean, reason = 'unavailable'): void {
    if (up) this.#down.delete(dependency);
    else this.#down.set(dependency, reason);
    this.#update();
  }

  /** Not serving for good: the service is stopping. */
  stopping(): void {
    this.#stopping = true;
    this.#update();
  }

  /** Calls `listener` with every change (and once now); returns the unsubscribe function. */
  watch(listener: (serving: boolean) => void): () => void {
    this.#listeners.add(listener);
    listener(this.#serving);
    return () => this.#listeners.delete(listener);
  }

  #update(): void {
    const serving = !this.#stopping && this.#down.size === 0;
    if (serving === this.#serving) return;
    this.#serving = serving;
    for (const listener of this.#listeners) listener(serving);
  }
}
