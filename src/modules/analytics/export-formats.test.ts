import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCsv } from '#test/helpers/csv.ts';
import { csvDocument, csvField, jsonDocument, type ExportRecord } from './export-formats.ts';

/** Pages as a repository hands them over: one await (a query) each. */
async function* pagesOf<R>(...pages: R[][]): AsyncGenerator<R[]> {
  for (const page of pages) yield await Promise.resolve(page);
}

async function text(chunks: AsyncIterable<string>): Promise<{ whole: string; count: number }> {
  let whole = '';
  let count = 0;
  for await (const chunk of chunks) {
    whole += chunk;
    count += 1;
  }
  return { whole, count };
}

describe('CSV fields (RFC 4180, formula-safe)', () => {
  test('plain values stay as they are; null is an empty field', () => {
    assert.equal(csvField('abc'), 'abc');
    assert.equal(csvField(302), '302');
    assert.equal(csvField(true), 'true');
    assert.equal(csvField(null), '');
    assert.equal(csvField(new Date('2025-01-02T03:04:05.006Z')), '2025-01-02T03:04:05.006Z');
  });

  test('quotes, commas and line breaks are quoted, quotes doubled', () => {
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rlf'), '"cr\rlf"');
  });

  test('text a spreadsheet would run as a formula gets a leading quote', () => {
    for (const formula of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) {
      assert.ok(
        csvField(formula)
          .replace(/^"/, '')
          .startsWith(`'${formula.charAt(0)}`),
        formula,
      );
    }
    assert.equal(csvField('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
    // Only text is ours to guard: a number is never prefixed.
    assert.equal(csvField(-1), '-1');
    assert.equal(csvField('a=b'), 'a=b');
  });
});

describe('documents, a chunk per page', () => {
  type Row = ExportRecord<'name' | 'count'>;

  test('CSV: the header, then each page, and it parses back', async () => {
    const { whole, count } = await text(
      csvDocument<'name' | 'count'>(
        ['name', 'count'],
        pagesOf<Row>(
          [{ name: 'a,"b"', count: 1 }],
          [
            { name: '=x', count: 2 },
            { name: null, count: 3 },
          ],
        ),
      ),
    );
    assert.equal(count, 3);
    assert.deepEqual(parseCsv(whole), [
      ['name', 'count'],
      ['a,"b"', '1'],
      ["'=x", '2'],
      ['', '3'],
    ]);
  });

  test('CSV of nothing is its header row', async () => {
    const { whole } = await text(csvDocument<'name'>(['name'], pagesOf<ExportRecord<'name'>>()));
    assert.equal(whole, 'name\r\n');
  });

  test('JSON: one array, valid once whole, empty pages skipped', async () => {
    const at = new Date('2025-01-02T03:04:05.006Z');
    const { whole } = await text(
      jsonDocument(pagesOf<ExportRecord<'at' | 'n'>>([{ at, n: 1 }], [], [{ at: null, n: 2 }])),
    );
    assert.deepEqual(JSON.parse(whole), [
      { at: at.toISOString(), n: 1 },
      { at: null, n: 2 },
    ]);
    assert.deepEqual(
      JSON.parse((await text(jsonDocument(pagesOf<ExportRecord<'n'>>()))).whole),
      [],
    );
  });

  test('stopping the consumer stops the pages (their finally runs)', async () => {
    let stopped = false;
    async function* endless(): AsyncGenerator<ExportRecord<'n'>[]> {
      try {
        for (let n = 0; ; n += 1) yield await Promise.resolve([{ n }]);
      } finally {
        stopped = true;
      }
    }
    for await (const chunk of jsonDocument(endless())) {
      if (chunk.includes('"n":2')) break;
    }
    assert.equal(stopped, true);
  });
});
