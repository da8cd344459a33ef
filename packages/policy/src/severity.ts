/** How serious an alert is, from least to most. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Every severity, low → critical. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** The rank of a severity: low 1, medium 2, high 3, critical 4. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s) + 1;
}

/** True when `value` is one of the four severities (for values read from the policy file). */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}
