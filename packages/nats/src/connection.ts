import { connect, type NatsConnection } from '@nats-io/transport-node';
import { parseNatsServers } from './server-urls.js';

export interface NatsConnectionOptions {
  /**
   * One or more server URLs, e.g. "nats://127.0.0.1:4222"; a string may list several separated by
   * commas and carry `user:password@` (MSI_NATS_URL), see parseNatsServers.
   */
  readonly servers: string | readonly string[];
  /** Shown by the server in connection listings, e.g. "msi-ingest-7f3a". */
  readonly name: string;
  readonly token?: string;
  readonly user?: string;
  readonly pass?: string;
}

/**
 * Connects and keeps reconnecting forever: a service whose bus is away reports NOT_SERVING and
 * refuses work rather than exiting, and resumes when the bus is back.
 */
export async function connectNats(options: NatsConnectionOptions): Promise<NatsConnection> {
  const parsed = parseNatsServers(
    typeof options.servers === 'string' ? options.servers : options.servers.join(','),
  );
  const user = options.user ?? parsed.user;
  const pass = options.pass ?? parsed.pass;
  return connect({
    servers: parsed.servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
    // Without this, every request (each JetStream publish awaits its PubAck as one) builds an Error
    // up front to carry the caller's stack, and another when it is settled: 1.4% of ingest's CPU
    // samples (bench:pipeline --consumers --rate 14000 under --cpu-prof). A failed request rejects with
    // the server's or the timeout's error all the same; only that extra async stack is not captured.
    noAsyncTraces: true,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(user === undefined ? {} : { user }),
    ...(pass === undefined ? {} : { pass }),
  });
}

/** Tracks whether a connection is currently usable (between a disconnect and a reconnect it is not). */
export function watchConnection(nc: NatsConnection, onChange: (connected: boolean) => void): void {
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'staleConnection') onChange(false);
      else if (status.type === 'reconnect') onChange(true);
    }
  })();
  void nc.closed().then(() => onChange(false));
}
