import { CodedError } from '@msi/core';

/** One problem of a policy file: where it is (1-based line and column), which field, and what is wrong. */
export interface PolicyProblem {
  readonly line: number;
  readonly column: number;
  /** The field, e.g. `rules[2].when.destination.region`; empty for a YAML syntax error. */
  readonly path: string;
  readonly message: string;
}

/** Why a policy file was refused: `SYNTAX` (not YAML/JSON) or `INVALID` (YAML that is not a valid policy). */
export type PolicyErrorCode = 'SYNTAX' | 'INVALID';

/**
 * The one error of parsePolicy. It lists every problem found, in file order; the message has one line
 * per problem, `<source>:<line>:<column> <path>: <message>`.
 */
export class PolicyError extends CodedError<PolicyErrorCode> {
  override readonly name = 'PolicyError';
  constructor(
    code: PolicyErrorCode,
    readonly problems: readonly PolicyProblem[],
    source: string,
  ) {
    super(code, problems.map((p) => formatProblem(source, p)).join('\n'));
  }
}

/** One problem as `<source>:<line>:<column> <path>: <message>` (no path part when the path is empty). */
export function formatProblem(source: string, p: PolicyProblem): string {
  const where = `${source}:${p.line}:${p.column}`;
  return p.path === '' ? `${where} ${p.message}` : `${where} ${p.path}: ${p.message}`;
}
