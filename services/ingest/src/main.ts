import { createWasmHasherSync } from '@msi/hash-wasm';
import { runService } from '@msi/service-kit';
import { loadIngest, startIngest } from './ingest-server.js';

// The ingest process: its configuration, credentials and TLS files (exit 2 naming a bad variable),
// one NATS connection, the gRPC server (leaf hashes and the shard rule's hashes by the WASM batch kernel, a request per call); on SIGTERM it lets calls finish and publishes what is batched.
await runService({
  name: 'ingest',
  load: loadIngest,
  async start(ctx, config) {
    const hasher = createWasmHasherSync();
    const ingest = await startIngest(config, {
      nc: await ctx.nats(config.natsUrl),
      credentials: config.credentials,
      grpcCredentials: config.grpcCredentials,
      openLineageTls: config.openLineageTls,
      health: ctx.health,
      hasher,
      sha256Many: (messages) => hasher.sha256Many(messages),
      log: ctx.log,
      registry: ctx.registry,
      nowMs: ctx.nowMs,
    });
    return { stop: () => ingest.close() };
  },
});
