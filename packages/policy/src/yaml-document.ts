import { LineCounter, parseDocument } from 'yaml';
import type { PolicyProblem } from './policy-error.js';
import { type At, YamlReader } from './yaml-reader.js';

/** A YAML configuration file read with positions: its value, or every problem found, in file order. */
export type YamlDocumentResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: 'SYNTAX' | 'INVALID'; readonly problems: readonly PolicyProblem[] };

/**
 * Parses `text` as YAML (or JSON) and hands its root to `read`, which checks it node by node through
 * the YamlReader (each problem with its line, column and field path). SYNTAX: not YAML, or empty
 * (`emptyMessage`); INVALID: `read` reported problems. Used by the policy and by every other
 * configuration file that reports positions the same way (the agent's).
 */
export function readYamlDocument<T>(
  text: string,
  emptyMessage: string,
  read: (reader: YamlReader, root: At) => T,
): YamlDocumentResult<T> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e): PolicyProblem => {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      return { line: pos.line, column: pos.col, path: '', message: firstLine(e.message) };
    });
    return { ok: false, code: 'SYNTAX', problems };
  }
  const reader = new YamlReader(lines, text);
  const root: At = { node: doc.contents, path: '', offset: 0 };
  if (doc.contents === null) {
    reader.report(root, emptyMessage);
    return { ok: false, code: 'SYNTAX', problems: reader.problems };
  }
  const value = read(reader, root);
  if (reader.problems.length > 0) {
    const problems = [...reader.problems].sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, code: 'INVALID', problems };
  }
  return { ok: true, value };
}

const firstLine = (message: string): string => message.split('\n')[0] ?? message;
