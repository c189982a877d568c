import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { similarity, validatePassword } from './password-validators.ts';

const context = { minLength: 12, email: 'alice.liddell@example.com', username: 'alice' };

describe('validatePassword', () => {
  test('a long, unusual password passes', () => {
    assert.deepEqual(validatePassword('violet kettle under seven lamps', context), []);
  });

  test('too short, counted in characters (not bytes)', () => {
    assert.deepEqual(validatePassword('plum-Quartz7', { ...context, minLength: 13 }), [
      'This password is too short. It must contain at least 13 characters.',
    ]);
    assert.deepEqual(validatePassword('ééééééééééé§', context), []);
  });

  test('a password from the shipped common list, whatever its case', () => {
    assert.deepEqual(validatePassword('QwertY123456', context), ['This password is too common.']);
    assert.deepEqual(validatePassword('password', { minLength: 8 }), [
      'This password is too common.',
    ]);
  });

  test('entirely numeric', () => {
    assert.ok(
      validatePassword('804219376512', context).includes('This password is entirely numeric.'),
    );
  });

  test('too similar to the email address or one of its parts', () => {
    assert.deepEqual(validatePassword('alice.liddell@example', context), [
      'This password is too similar to your email address.',
    ]);
    assert.deepEqual(
      validatePassword('marmaduke.fitz', { minLength: 12, email: 'marmaduke.fitz.77@example.com' }),
      ['This password is too similar to your email address.'],
      'the local part counts as a whole',
    );
    assert.deepEqual(validatePassword('Liddell1865!!', context), [
      'This password is too similar to your email address.',
    ]);
  });

  test('too similar to the username', () => {
    assert.deepEqual(
      validatePassword('cheshirecat77', { minLength: 12, username: 'cheshire-cat' }),
      ['This password is too similar to your username.'],
    );
  });

  test('several problems are all reported', () => {
    assert.equal(validatePassword('123456', context).length, 3);
  });
});

describe('similarity', () => {
  test('matches difflib ratios', () => {
    assert.equal(similarity('abcd', 'bcde'), 0.75);
    assert.equal(similarity('abc', 'xyz'), 0);
    assert.equal(similarity('same', 'same'), 1);
  });
});
