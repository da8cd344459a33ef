// A small benchmark harness: sections of measured rows printed as aligned tables. Other benchmarks
// (e.g. receipt verification) add a section with runSection and reuse measure / formatting.

/** One row of a section's table: column name → cell. Columns appear in first-seen order. */
export type Row = Readonly<Record<string, string | number>>;

/** A named group of results, printed as one table. */
export class Section {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];
  constructor(readonly name: string) {}

  add(row: Row): void {
    this.rows.push(row);
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

/**
 * Runs `body` to fill a section, then prints the section's table, its notes and how long it took.
 * Returns the section so a caller can compare results across sections.
 */
export async function runSection(
  name: string,
  body: (section: Section) => void | Promise<void>,
): Promise<Section> {
  const section = new Section(name);
  const start = performance.now();
  await body(section);
  const seconds = (performance.now() - start) / 1000;
  console.log(`\n== ${name} (${seconds.toFixed(1)} s)`);
  console.log(renderTable(section.rows));
  for (const note of section.notes) console.log(`  * ${note}`);
  return section;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Operations one call of `fn` performs (e.g. leaves per tree build); default 1. */
  readonly opsPerRun?: number;
  /** Keep running until this much time has been measured (ms); default 1000. */
  readonly minTimeMs?: number;
  /** At least this many timed runs; default 3. */
  readonly minRuns?: number;
  /** At most this many timed runs; default 50. */
  readonly maxRuns?: number;
}

/** Result of {@link measure}: the median run time and the rate derived from it. */
export interface Timing {
  readonly runs: number;
  readonly medianMs: number;
  readonly opsPerSec: number;
}

/**
 * Times `fn` after one untimed warm-up run (skipped when that run alone takes over a second, so slow
 * peers at big N do not pay twice). Runs at least minRuns times and until minTimeMs has passed.
 * The value `fn` returns is kept in a sink so the work cannot be optimized away.
 */
export function measure(fn: () => unknown, options: MeasureOptions = {}): Timing {
  const { opsPerRun = 1, minTimeMs = 1000, minRuns = 3, maxRuns = 50 } = options;
  const times: number[] = [];
  let start = performance.now();
  sink(fn());
  const warmup = performance.now() - start;
  if (warmup > 1000) times.push(warmup);
  let total = times.reduce((a, b) => a + b, 0);
  while (times.length < maxRuns && (times.length < minRuns || total < minTimeMs)) {
    start = performance.now();
    sink(fn());
    const elapsed = performance.now() - start;
    times.push(elapsed);
    total += elapsed;
  }
  const medianMs = median(times);
  return { runs: times.length, medianMs, opsPerSec: (opsPerRun * 1000) / medianMs };
}

let sunk = 0;
function sink(value: unknown): void {
  if (value instanceof Uint8Array) sunk ^= value[0] ?? 0;
  else if (Array.isArray(value)) sunk ^= value.length;
  else if (value !== undefined && value !== null) sunk ^= 1;
}

/** Keeps the sink observable (print it once at the end of a run). */
export function sinkValue(): number {
  return sunk;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const hi = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? Number.NaN) + hi) / 2;
}

/** The p-th percentile (nearest rank) of a list; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** 1234567.8 → "1,234,568"; small rates keep one decimal. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  const digits = perSecond < 100 ? 1 : 0;
  return perSecond.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** 4.2345 → "4.23x". */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '-';
}

/** An aligned text table: numbers right-aligned, text left-aligned, a rule under the header. */
export function renderTable(rows: readonly Row[]): string {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const cell = (row: Row, column: string): string => String(row[column] ?? '');
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const numeric = columns.map((c) =>
    rows.every((r) => typeof r[c] !== 'string' || /^[\d.,x%-]*$/.test(cell(r, c))),
  );
  const line = (cells: string[]) =>
    `  ${cells.map((text, i) => (numeric[i] && i > 0 ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  const header = line(columns);
  const rule = `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`;
  return [header, rule, ...rows.map((row) => line(columns.map((c) => cell(row, c))))].join('\n');
}
