import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  escapeForbiddenCharacters,
  forbiddenCharacterIn,
  forbiddenCharacterProblem,
} from './control-characters.ts';

describe('forbiddenCharacterIn', () => {
  const refused: [number, string][] = [
    [0x00, 'a control character (U+0000)'],
    [0x08, 'a control character (U+0008)'],
    [0x0b, 'a control character (U+000B)'],
    [0x0c, 'a control character (U+000C)'],
    [0x0e, 'a control character (U+000E)'],
    [0x1f, 'a control character (U+001F)'],
    [0x7f, 'a control character (U+007F)'],
    [0x80, 'a control character (U+0080)'],
    [0x9f, 'a control character (U+009F)'],
    [0xfffe, 'a noncharacter (U+FFFE)'],
    [0xffff, 'a noncharacter (U+FFFF)'],
    [0xd800, 'an unpaired surrogate (U+D800)'],
    [0xdbff, 'an unpaired surrogate (U+DBFF)'],
    [0xdc00, 'an unpaired surrogate (U+DC00)'],
    [0xdfff, 'an unpaired surrogate (U+DFFF)'],
  ];
  for (const [unit, expected] of refused) {
    test(`refuses ${expected}, alone and inside text`, () => {
      const char = String.fromCharCode(unit);
      assert.equal(forbiddenCharacterIn(char), expected);
      assert.equal(forbiddenCharacterIn(`before ${char} after`), expected);
    });
  }

  test('accepts TAB, LF, CR, the printable ranges around the refused ones, and pairs', () => {
    for (const text of ['\t', '\n', '\r', ' ', '~', '\u00a0', 'é', '\ufffd', '\ufeff', '日本']) {
      assert.equal(forbiddenCharacterIn(text), null, JSON.stringify(text));
    }
    assert.equal(
      forbiddenCharacterIn('🎉 \ud83c\udf89'),
      null,
      'a surrogate pair is one character',
    );
    assert.equal(forbiddenCharacterIn('\udf89\ud83c'), 'an unpaired surrogate (U+DF89)');
    assert.equal(forbiddenCharacterIn('\ud83c'), 'an unpaired surrogate (U+D83C)', 'at the end');
  });

  test('reports the first offender, as the end of a sentence', () => {
    assert.equal(
      forbiddenCharacterProblem('a\u0007b\u0000'),
      'contains a control character (U+0007), which is not accepted',
    );
    assert.equal(forbiddenCharacterProblem('fine'), null);
  });
});

test('escapeForbiddenCharacters names a key without printing what it escapes', () => {
  assert.equal(escapeForbiddenCharacters('a\u0000b\u001bc'), 'a\\u0000b\\u001bc');
  assert.equal(escapeForbiddenCharacters('é🎉\tx'), 'é🎉\tx');
  assert.equal(escapeForbiddenCharacters('\ud800'), '\\ud800');
});
