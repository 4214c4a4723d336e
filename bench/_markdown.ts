/**
 * Small Markdown helpers for the report: tables and number formatting.
 *
 * @module
 */

/** Shown where a figure is missing (not run, failed, or not meaningful). */
export const MISSING = "—";

/** A number with an optional unit ("12.5 ms", "1.61 M elem", "2.00x"). */
const numeric = /^[-+]?[\d.,]+(\s*[a-zA-Z/%]+)*$/;

/** Words that stand in a numeric column for a missing figure. */
const placeholders = new Set([MISSING, "skipped", "failed"]);

/**
 * A GitHub-flavoured Markdown table. Columns whose cells are all numbers (or
 * {@link MISSING}) are right-aligned, the rest left-aligned.
 */
export function table(headers: string[], rows: string[][]): string {
  const align = headers.map((_, column) =>
    rows.length > 0 &&
      rows.every((row) =>
        placeholders.has(row[column]) || numeric.test(row[column])
      )
      ? "--:"
      : ":--"
  );
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(align), ...rows.map(line)].join("\n");
}

/**
 * A number with enough digits to read: 3 significant figures, at least
 * `minimumDigits` after the point; {@link MISSING} for undefined or non-finite.
 */
export function formatNumber(
  value: number | undefined,
  minimumDigits = 0,
): string {
  if (value === undefined || !Number.isFinite(value)) return MISSING;
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  return value.toFixed(Math.max(digits, minimumDigits));
}

/** A ratio as "1.85x", or {@link MISSING}. */
export function formatRatio(value: number | undefined): string {
  const text = formatNumber(value, 2);
  return text === MISSING ? text : `${text}x`;
}

/** `numerator / denominator` where both are known. */
export function ratio(
  numerator: number | undefined,
  denominator: number | undefined,
): number | undefined {
  if (numerator === undefined || denominator === undefined) return undefined;
  return numerator / denominator;
}
