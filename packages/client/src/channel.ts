import { ChannelCredentials, type ClientOptions } from '@grpc/grpc-js';
import { MsiClientError } from './client-error.js';

/** TLS to the servers. Without a CA the system roots verify their certificates. */
export interface TlsOptions {
  /** PEM of the CA(s) that signed the servers' certificates. */
  readonly ca?: string | Uint8Array;
  /** mTLS: the client's certificate chain (PEM); with `key`. */
  readonly cert?: string | Uint8Array;
  /** mTLS: the client's private key (PEM); with `cert`. */
  readonly key?: string | Uint8Array;
}

/** The channel credentials and options for the servers: plaintext (development) or TLS, mTLS. */
export function channelOf(
  insecure: boolean,
  tls: TlsOptions | undefined,
): { credentials: ChannelCredentials; options: Partial<ClientOptions> } {
  if (insecure && tls !== undefined) {
    throw new MsiClientError('INVALID_OPTIONS', 'insecure and tls contradict each other', 'tls');
  }
  if ((tls?.cert === undefined) !== (tls?.key === undefined)) {
    throw new MsiClientError('INVALID_OPTIONS', 'mTLS needs both tls.cert and tls.key', 'tls');
  }
  const pem = (value: string | Uint8Array | undefined) =>
    value === undefined ? null : Buffer.from(typeof value === 'string' ? Buffer.from(value) : value);
  return {
    credentials: insecure
      ? ChannelCredentials.createInsecure()
      : ChannelCredentials.createSsl(pem(tls?.ca), pem(tls?.key), pem(tls?.cert)),
    options: {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    },
  };
}
