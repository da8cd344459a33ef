import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, FileReceiptStore, type MsiClient } from '@msi/client';
import type { Logger } from '@msi/service-kit';
import { Agent, type AgentParts } from './agent.js';
import type { AgentConfig } from './agent-config.js';
import { Spool } from './spool.js';
import { StateIndex } from './state-index.js';

/** The agent with what it runs on, and how to close it all. */
export interface OpenAgent {
  readonly agent: Agent;
  readonly client: MsiClient;
  readonly spool: Spool;
  readonly index: StateIndex;
  close(): Promise<void>;
}

/** Where the receipt store of an agent's state directory is. */
export const receiptDirOf = (stateDir: string): string => join(stateDir, 'receipts');

/**
 * Opens the state directory (spool, index, receipt store) and a client of `@msi/client` on the
 * config's ingest and verifier, and builds the agent (not started). `client` options override the
 * defaults (tests: shorter retries).
 */
export async function openAgent(o: {
  config: AgentConfig;
  host: string;
  apiKey: string;
  log: Logger;
  nowMs: () => number;
  tuning?: Pick<AgentParts, 'settleMs' | 'resendMs'> & { retryGiveUpMs?: number; aggregationMs?: number };
}): Promise<OpenAgent> {
  const { config } = o;
  await mkdir(config.stateDir, { recursive: true });
  const { spool, cut } = await Spool.open(config.stateDir, config.spoolMaxBytes);
  if (cut > 0)
    o.log.warn('the spool ended in a damaged record: dropped (its change is found by the rescan)', {
      bytes: cut,
    });
  const index = await StateIndex.open(config.stateDir);
  const verifier = config.ingest.verifier;
  const client = createClient({
    ingest: config.ingest.address,
    ...(verifier === undefined ? {} : { verifier }),
    apiKey: o.apiKey,
    insecure: config.ingest.insecure,
    aggregation: { intervalMs: o.tuning?.aggregationMs ?? 1000, actor: config.actor },
    retry: { giveUpAfterMs: o.tuning?.retryGiveUpMs ?? 60_000 },
    receipts: {
      store: new FileReceiptStore(receiptDirOf(config.stateDir)),
      individual: verifier !== undefined,
      logKeys: config.ingest.logKeys,
    },
    now: o.nowMs,
  });
  const agent = new Agent({
    config,
    host: o.host,
    client,
    spool,
    index,
    log: o.log,
    nowMs: o.nowMs,
    ...o.tuning,
  });
  return {
    agent,
    client,
    spool,
    index,
    async close() {
      await agent.stop();
      await client
        .close()
        .catch((error: unknown) => o.log.warn('closing the client', { error: String(error) }));
      await spool.close();
      await index.close();
    },
  };
}
