import { readFileSync } from 'node:fs';

/** The OpenLineage example events of testdata/openlineage (ORIGIN.md says where each comes from). */
export type LineageExample = 'dbt-run-complete' | 'dbt-run-start' | 'spark-job' | 'minimal-complete';

/** A fresh copy of an example RunEvent, parsed. */
export function lineageExample(name: LineageExample): Record<string, unknown> {
  const url = new URL(`../testdata/openlineage/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

/** The example as sent now: eventTime `nowMs` (the examples' own dates are years old), other fields overridden. */
export function lineageExampleAt(
  name: LineageExample,
  nowMs: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...lineageExample(name), eventTime: new Date(nowMs).toISOString(), ...overrides };
}
