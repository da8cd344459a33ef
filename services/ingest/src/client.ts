import { ChannelCredentials, type ClientOptions, InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { ingestV1 } from '@msi/proto';

export interface IngestClientOptions {
  /** host:port of ingest. */
  readonly address: string;
  /** Sent as `authorization: Bearer <key>` on every call. */
  readonly apiKey?: string;
  /** TLS (the default): the CA that signed ingest's certificate, and a client certificate for mTLS. */
  readonly tls?: {
    readonly ca: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly serverName?: string;
  };
  /** Plaintext, for a dev ingest started with MSI_INGEST_INSECURE=true. */
  readonly insecure?: boolean;
  /** Largest response accepted, bytes (SubmitBatch of 1,000 answers ~100 KB). */
  readonly maxReceiveMessageBytes?: number;
}

/** A typed IngestService client with its credentials (API key metadata and/or TLS client certificate). */
export function createIngestClient(options: IngestClientOptions): ingestV1.IngestServiceClient {
  const credentials =
    options.insecure === true
      ? ChannelCredentials.createInsecure()
      : ChannelCredentials.createSsl(
          options.tls?.ca ?? null,
          options.tls?.key ?? null,
          options.tls?.cert ?? null,
        );
  const clientOptions: Partial<ClientOptions> = {
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? 16 * 1024 * 1024,
    ...(options.tls?.serverName === undefined
      ? {}
      : { 'grpc.ssl_target_name_override': options.tls.serverName }),
    ...(options.apiKey === undefined ? {} : { interceptors: [bearer(options.apiKey)] }),
  };
  return new ingestV1.IngestServiceClient(options.address, credentials, clientOptions);
}

/** Adds the API key to every call's metadata (works over plaintext too, unlike CallCredentials). */
function bearer(apiKey: string): Interceptor {
  return (callOptions, nextCall) =>
    new InterceptingCall(nextCall(callOptions), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${apiKey}`);
        next(metadata, listener);
      },
    });
}
