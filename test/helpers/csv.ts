/**
 * Parses CSV as RFC 4180 writes it (CRLF between records, fields quoted when they hold a quote,
 * comma or line break, quotes doubled), strictly: anything else throws, so a test that reads an
 * export back also checks that it is well-formed.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let index = 0;
  while (index < text.length) {
    let field = '';
    if (text[index] === '"') {
      index += 1;
      for (;;) {
        const quote = text.indexOf('"', index);
        if (quote === -1) throw new Error(`unterminated quoted field at ${index}`);
        field += text.slice(index, quote);
        if (text[quote + 1] === '"') {
          field += '"';
          index = quote + 2;
        } else {
          index = quote + 1;
          break;
        }
      }
    } else {
      const end = text.slice(index).search(/[,\r\n"]/);
      const stop = end === -1 ? text.length : index + end;
      if (text[stop] === '"') throw new Error(`a quote inside an unquoted field at ${stop}`);
      field = text.slice(index, stop);
      index = stop;
    }
    record.push(field);
    if (text[index] === ',') {
      index += 1;
    } else if (text.startsWith('\r\n', index)) {
      records.push(record);
      record = [];
      index += 2;
    } else if (index < text.length) {
      throw new Error(`expected a comma or CRLF at ${index}, found ${JSON.stringify(text[index])}`);
    }
  }
  if (record.length > 0) throw new Error('the last record does not end with CRLF');
  return records;
}

/** The records after the header, as objects keyed by the header's names. */
export function csvObjects(text: string): { header: string[]; rows: Record<string, string>[] } {
  const [header = [], ...records] = parseCsv(text);
  const rows = records.map((fields) => {
    if (fields.length !== header.length) {
      throw new Error(`a record of ${fields.length} fields under ${header.length} columns`);
    }
    return Object.fromEntries(header.map((name, column) => [name, fields[column] ?? '']));
  });
  return { header, rows };
}
