/** What one field of an exported record holds. */
export type ExportValue = string | number | boolean | Date | null;

/** One exported row: a value for each of its columns. */
export type ExportRecord<C extends string> = Readonly<Record<C, ExportValue>>;

/**
 * Text a spreadsheet would take for a formula (or, for tab and carriage return, an
 * attacker's way to slip one past a check): OWASP's list for CSV injection.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break, quotes doubled;
 * text that a spreadsheet would run as a formula gets a leading `'`, so it shows as typed. Only
 * text is guarded: numbers, booleans and dates are ours and never start that way.
 */
export function csvField(value: ExportValue): string {
  if (value === null) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  const shown = typeof value === 'string' && FORMULA_START.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(shown) ? `"${shown.replaceAll('"', '""')}"` : shown;
}

/** One CSV record, CRLF-terminated as RFC 4180 says. */
export function csvLine(values: readonly ExportValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * A CSV document, one chunk per page: the header row, then each page's records in `columns`
 * order. Nothing but the page at hand is held.
 */
export async function* csvDocument<C extends string>(
  columns: readonly C[],
  pages: AsyncIterable<readonly ExportRecord<C>[]>,
): AsyncGenerator<string> {
  yield csvLine(columns);
  for await (const page of pages) {
    // An empty chunk would read as "nothing yet" to the stream it feeds.
    if (page.length === 0) continue;
    yield page.map((record) => csvLine(columns.map((column) => record[column]))).join('');
  }
}

/**
 * One JSON array, one chunk per page, valid once the last chunk is out (an empty export is
 * `[]`). Dates are ISO 8601 text, as JSON.stringify writes them.
 */
export async function* jsonDocument<C extends string>(
  pages: AsyncIterable<readonly ExportRecord<C>[]>,
): AsyncGenerator<string> {
  let empty = true;
  yield '[';
  for await (const page of pages) {
    if (page.length === 0) continue;
    yield `${empty ? '\n' : ',\n'}${page.map((record) => JSON.stringify(record)).join(',\n')}`;
    empty = false;
  }
  yield empty ? ']\n' : '\n]\n';
}
