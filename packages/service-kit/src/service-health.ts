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
    const changed = up ? this.#down.delete(dependency) : !this.#down.has(dependency);
    if (!up) this.#down.set(dependency, reason);
    this.#update(changed);
  }

  /** Not serving for good: the service is stopping. */
  stopping(): void {
    this.#stopping = true;
    this.#update(false);
  }

  /**
   * Calls `listener` whenever a dependency goes up or down or serving changes (and once now), with
   * whether the service serves; returns the unsubscribe function.
   */
  watch(listener: (serving: boolean) => void): () => void {
    this.#listeners.add(listener);
    listener(this.#serving);
    return () => this.#listeners.delete(listener);
  }

  #update(dependencyChanged: boolean): void {
    const serving = !this.#stopping && this.#down.size === 0;
    if (serving === this.#serving && !dependencyChanged) return;
    this.#serving = serving;
    for (const listener of this.#listeners) listener(serving);
  }
}
