import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CODE_ALPHABET, CODE_LENGTH, generateCode } from './codes.ts';

describe('generated codes', () => {
  test('are 7 characters of case-sensitive base62', () => {
    assert.equal(CODE_ALPHABET.length, 62);
    assert.equal(new Set(CODE_ALPHABET).size, 62);
    for (let i = 0; i < 1_000; i += 1) {
      assert.match(generateCode(), /^[0-9A-Za-z]{7}$/);
    }
    assert.equal(CODE_LENGTH, 7);
  });

  test('do not repeat over many draws', () => {
    const codes = new Set(Array.from({ length: 20_000 }, () => generateCode()));
    assert.equal(codes.size, 20_000);
  });

  test('use every character of the alphabet, upper and lower case alike', () => {
    const seen = new Set(Array.from({ length: 2_000 }, () => generateCode()).join(''));
    assert.equal(seen.size, 62);
  });

  test('skip bytes that would bias the draw (248 and above) instead of wrapping them', () => {
    // 248 % 62 = 0 and 255 % 62 = 7: a modulo would turn them into '0' and '7'.
    const draws = [
      [248, 255, 0, 1, 2, 3, 250, 4, 5, 6, 61],
      [9, 9, 9],
    ];
    const random = (size: number) => Uint8Array.from((draws.shift() ?? []).slice(0, size));
    assert.equal(generateCode(7, random), '0123456');
  });

  test('draw again when a batch of bytes was mostly rejected', () => {
    const draws = [
      [255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 61],
      [61, 61, 61, 61, 61, 61, 61, 61],
    ];
    const random = () => Uint8Array.from(draws.shift() ?? []);
    assert.equal(generateCode(7, random), 'zzzzzzz');
  });
});
