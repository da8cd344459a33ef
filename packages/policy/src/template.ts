import type { EventView } from './event-view.js';
import { type Field, lookupField, valueText } from './field-paths.js';

/** What a message shows for a missing field. */
export const MISSING_TEXT = '-';

/** A compiled message template: literal text and fields, rendered per event. */
export interface Template {
  readonly fields: readonly Field[];
  render(view: EventView): string;
}

/** Where a template is wrong: the offset of the bad part within the template text, and why. */
export interface TemplateProblem {
  readonly index: number;
  readonly message: string;
}

/**
 * Compiles `text` with `{field.path}` placeholders; `{{` and `}}` stand for literal braces. Missing
 * fields render as `-`. Returns a problem for an unknown field or an unbalanced brace.
 */
export function compileTemplate(text: string): Template | TemplateProblem {
  const literals: string[] = [];
  const fields: Field[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if ((c === '{' || c === '}') && text[i + 1] === c) {
      literal += c;
      i += 2;
    } else if (c === '}') {
      return { index: i, message: 'unmatched "}" (write "}}" for a literal brace)' };
    } else if (c === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) return { index: i, message: 'unclosed "{" (write "{{" for a literal brace)' };
      const path = text.slice(i + 1, end).trim();
      const field = lookupField(path);
      if (field === undefined) return { index: i, message: `unknown placeholder {${path}}` };
      literals.push(literal);
      fields.push(field);
      literal = '';
      i = end + 1;
    } else {
      literal += c;
      i++;
    }
  }
  literals.push(literal);
  return { fields, render: (view) => renderParts(literals, fields, view) };
}

function renderParts(literals: readonly string[], fields: readonly Field[], view: EventView): string {
  let out = literals[0] ?? '';
  for (let i = 0; i < fields.length; i++) {
    const value = (fields[i] as Field).read(view);
    out += (value === undefined ? MISSING_TEXT : valueText(value)) + (literals[i + 1] ?? '');
  }
  return out;
}

/** True when `compileTemplate` failed. */
export function isTemplateProblem(t: Template | TemplateProblem): t is TemplateProblem {
  return 'message' in t;
}
