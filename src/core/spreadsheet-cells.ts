/**
 * Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (and tab or carriage
 * return open the same door in some), so `=HYPERLINK(…)` typed into a description would become
 * a live link, or worse, in whoever opens the export. Such a cell is written with a leading
 * apostrophe, the spreadsheets' own "this is text" mark, which they hide; a value that itself
 * starts with an apostrophe gets one more, so reading the cell back is exact.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

/** The text of a cell as written to a CSV file. */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** The value of a cell `neutralizeCell` wrote (and of one a person wrote with the same mark). */
export function readNeutralizedCell(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}
