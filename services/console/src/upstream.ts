import {
  type CallOptions,
  type ChannelCredentials,
  type ClientUnaryCall,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { alerterV1, verifierV1 } from '@msi/proto';

/** The gRPC services the gateway mirrors. */
export interface Upstreams {
  readonly verifier: verifierV1.VerifierServiceClient;
  readonly alerter: alerterV1.AlerterServiceClient;
  close(): void;
}

export function connectUpstreams(o: {
  readonly verifierAddress: string;
  readonly alerterAddress: string;
  readonly credentials: ChannelCredentials;
}): Upstreams {
  const options = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
  const verifier = new verifierV1.VerifierServiceClient(o.verifierAddress, o.credentials, options);
  const alerter = new alerterV1.AlerterServiceClient(o.alerterAddress, o.credentials, options);
  return {
    verifier,
    alerter,
    close() {
      verifier.close();
      alerter.close();
    },
  };
}

/** A failed upstream call: its gRPC status and details, passed on to the browser as they are. */
export class UpstreamFailure extends Error {
  constructor(readonly error: ServiceError) {
    super(error.details === '' ? error.message : error.details);
  }
}

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * One unary call on the caller's behalf: its `Authorization` header is passed on as it came, so the
 * service authenticates and authorizes exactly as it does a gRPC client (the gateway holds no key).
 */
export function callUpstream<Req, Res>(
  method: Unary<Req, Res>,
  request: Req,
  authorization: string | undefined,
  timeoutMs: number,
): Promise<Res> {
  const metadata = new Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return new Promise((resolve, reject) => {
    method(request, metadata, { deadline: Date.now() + timeoutMs }, (error, response) => {
      if (error !== null) reject(new UpstreamFailure(error));
      else resolve(response);
    });
  });
}
