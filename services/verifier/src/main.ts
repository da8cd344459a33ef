import { nodeEd25519 } from '@msi/crypto-node';
import { createWasmHasherSync } from '@msi/hash-wasm';
import { runService } from '@msi/service-kit';
import { loadVerifier } from './config.js';
import { startVerifier } from './verifier.js';

// The verifier process: its configuration and credentials (exit 2 naming a bad variable), its NATS
// connection and database (waited for; NOT_SERVING while away), the projection and the gRPC API.
await runService({
  name: 'verifier',
  load: loadVerifier,
  async start(ctx, config) {
    const verifier = await startVerifier({
      nc: await ctx.nats(config.natsUrl),
      pool: await ctx.postgres(config.databaseUrl, { applicationName: 'msi-verifier' }),
      health: ctx.health,
      registry: ctx.registry,
      prefix: config.prefix,
      natsReplicas: config.natsReplicas,
      calendarKey: config.calendarKey,
      witnessKeys: config.witnessKeys,
      keys: config.keys,
      // The WASM SIMD kernel: the projection hashes each group's leaves in one batch call and
      // rebuilds each seal's tree level by level (as the aggregator built it).
      hasher: createWasmHasherSync(),
      ed25519: nodeEd25519(),
      host: config.grpcHost,
      port: config.grpcPort,
      receiptCacheBytes: config.receiptCacheBytes,
      log: ctx.log,
    });
    ctx.log.info('verifier up', {
      grpc: `${config.grpcHost}:${verifier.port}`,
      metrics: config.metricsPort === 0 ? 'off' : `${config.metricsHost}:${config.metricsPort}/metrics`,
      prefix: config.prefix,
      apiKeys: config.keys.size,
    });
    return { stop: () => verifier.stop() };
  },
});
