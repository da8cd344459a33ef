import type { DataEvent } from '@msi/core';
import type { FactSource } from './facts.js';
import type { Severity } from './severity.js';

/** What a rule says about an event that breaks it. */
export interface RuleMatch {
  readonly message: string;
  /** `<rule id>|<tenant>|` then the `dedupe.by` fields as `path=value`, joined by spaces. */
  readonly dedupeKey: string;
  /** The fields the rule's conditions read (path → text; missing ones left out), plus `rule`. */
  readonly details: Readonly<Record<string, string>>;
}

/** One rule of the policy file, compiled. */
export interface PolicyRule {
  readonly id: string;
  readonly description: string;
  readonly severity: Severity;
  /** When the alerter evaluates it: on arrival, or once the event's round is anchored (in calendar order). */
  readonly evaluate: 'arrival' | 'anchored';
  /** The tenants it applies to; undefined = every tenant. */
  readonly tenants: ReadonlySet<string> | undefined;
  readonly dedupeWindowUs: number;
  /**
   * undefined when the event is out of scope or the conditions do not hold. Facts: `facts` first,
   * then the file's static facts.
   */
  match(event: DataEvent, facts: FactSource): RuleMatch | undefined;
}

/** One built-in chain-of-custody rule. */
export interface CustodyRuleSettings {
  readonly enabled: boolean;
  readonly severity: Severity;
  readonly tenants: ReadonlySet<string> | undefined;
}

/** The built-in chain-of-custody rules (the alerter implements them). */
export interface CustodySettings {
  readonly unknownProvenance: CustodyRuleSettings;
  readonly useAfterDelete: CustodyRuleSettings;
  readonly unanchoredInput: CustodyRuleSettings;
}

/**
 * Whether an event is left out of the chain-of-custody rules (`custody.exempt`): it is neither
 * checked by them nor recorded as a deletion. False for every event when the policy has no `exempt`.
 */
export type CustodyExemption = (event: DataEvent, facts: FactSource) => boolean;

/** Thresholds of the built-in integrity rules. */
export interface IntegritySettings {
  readonly sealSlaRounds: number;
  readonly anchorSlaRounds: number;
  readonly calendarStallRounds: number;
  readonly authFailures: {
    readonly threshold: number;
    readonly windowUs: number;
    readonly severity: Severity;
  };
}

/** Where alerts are posted. Exactly one of `secret` / `secretEnv` is set. */
export interface WebhookSpec {
  readonly name: string;
  readonly url: string;
  /** A literal secret written in the file (discouraged). */
  readonly secret: string | undefined;
  /** The environment variable holding the secret (the alerter's main reads it). */
  readonly secretEnv: string | undefined;
  readonly minSeverity: Severity;
  readonly tenants: ReadonlySet<string> | undefined;
}

/** A parsed, validated and compiled policy file. */
export interface Policy {
  /** Hex SHA-256 of the file's text as UTF-8. */
  readonly digest: string;
  readonly rules: readonly PolicyRule[];
  readonly custody: CustodySettings;
  readonly custodyExempt: CustodyExemption;
  readonly integrity: IntegritySettings;
  readonly webhooks: readonly WebhookSpec[];
}
