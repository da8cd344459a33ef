/**
 * Lines of a plain-text table: the header, then one line per row, each column padded to its widest
 * cell, two spaces apart, with no trailing spaces.
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((name, i) =>
    Math.max(name.length, ...rows.map((line) => (line[i] ?? '').length)),
  );
  const format = (line: readonly string[]) =>
    line
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)];
}
