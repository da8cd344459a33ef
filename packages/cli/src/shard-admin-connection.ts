import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { ingestV1ShardAdmin } from '@msi/proto';
import type { ServerConnection } from './config.js';
import { channelOf, serviceFailure } from './grpc-channel.js';

/** A connected ShardAdminService client (ingest); every call maps gRPC failures to CliError. */
export interface ShardAdminSession {
  getShardMap(): Promise<ingestV1ShardAdmin.GetShardMapResponse>;
  setShardCount(count: number, expectedVersion: bigint): Promise<ingestV1ShardAdmin.SetShardCountResponse>;
  close(): void;
}

const CALL_TIMEOUT_MS = 30_000;

export async function openShardAdminSession(connection: ServerConnection): Promise<ShardAdminSession> {
  const { credentials, options } = await channelOf(connection);
  const client = new ingestV1ShardAdmin.ShardAdminServiceClient(connection.address, credentials, options);
  const unary = <T>(
    start: (options: { deadline: Date }, done: (error: ServiceError | null, response: T) => void) => void,
  ) =>
    new Promise<T>((resolve, reject) => {
      start({ deadline: new Date(Date.now() + CALL_TIMEOUT_MS) }, (error, response) => {
        if (error !== null) reject(serviceFailure(error, 'ingest', connection.address));
        else resolve(response);
      });
    });
  return {
    getShardMap: () => unary((o, done) => client.getShardMap({}, new Metadata(), o, done)),
    setShardCount: (count, expectedVersion) =>
      unary((o, done) => client.setShardCount({ count, expectedVersion }, new Metadata(), o, done)),
    close: () => client.close(),
  };
}
