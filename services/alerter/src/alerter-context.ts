import type { Ed25519Verifier, NoteVerifierKey } from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import { type Policy, type Severity, severityRank } from '@msi/policy';
import type { PoolClient } from '@msi/postgres';
import type { Logger } from '@msi/service-kit';
import { type AlertCandidate, alertToJson } from './alert.js';
import { type Raised, raiseAlerts } from './alert-store.js';
import { SCHEMA } from './schema.js';
import { enqueueDelivery } from './webhook-store.js';

/** What every intake handler needs: the policy in force, crypto, the trusted key, a clock, a way to raise. */
export interface AlerterContext {
  readonly policy: () => Policy;
  readonly hasher: MerkleHasher;
  readonly ed25519: Ed25519Verifier;
  /** The calendar's trusted verifier key: checkpoints not signed by it are integrity alerts. */
  readonly calendarKey: NoteVerifierKey;
  readonly log: Logger;
  /** ms since the epoch. */
  readonly nowMs: () => number;
  /**
   * Raises candidates in order in the caller's transaction (store, dedupe, webhook deliveries), one
   * raise per call: a handler gathers what one message raises and raises it at once.
   */
  readonly raise: (tx: PoolClient, candidates: readonly AlertCandidate[]) => Promise<Raised[]>;
}

/** Ten minutes: the dedupe window of built-in rules. */
export const DEFAULT_DEDUPE_WINDOW_US = 10 * 60 * 1_000_000;

/**
 * The raise function: stores the candidates (or counts repetitions) and, for each new alert, enqueues
 * one delivery per webhook of the policy in force whose severity floor and tenant scope it meets,
 * all in the caller's transaction.
 */
export function alertRaiser(
  policy: () => Policy,
  onRaised: (raised: Raised) => void = () => {},
): (tx: PoolClient, candidates: readonly AlertCandidate[]) => Promise<Raised[]> {
  return async (tx, candidates) => {
    const all = await raiseAlerts(tx, candidates);
    for (const raised of all) {
      if (raised.created) {
        const { alert } = raised;
        const body = JSON.stringify(alertToJson(alert));
        for (const hook of policy().webhooks) {
          if (!meets(alert.severity, hook.minSeverity)) continue;
          if (hook.tenants !== undefined && !hook.tenants.has(alert.tenant)) continue;
          await enqueueDelivery(tx, SCHEMA, {
            alertId: alert.alertId,
            webhook: hook.name,
            url: hook.url,
            body,
          });
        }
      }
      onRaised(raised);
    }
    return all;
  };
}

const meets = (severity: Severity, floor: Severity): boolean => severityRank(severity) >= severityRank(floor);
