import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestMatch, editDistance } from './suggest.ts';

test('editDistance counts a swap of neighbours as one edit', () => {
  assert.equal(editDistance('serve', 'serve'), 0);
  assert.equal(editDistance('srve', 'serve'), 1);
  assert.equal(editDistance('prot', 'port'), 1);
  assert.equal(editDistance('mirgate', 'migrate'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('closestMatch: within two edits, else the only candidate the input begins', () => {
  const commands = ['serve', 'settings', 'send-test-email', 'migrate', 'check'];
  assert.equal(closestMatch('srve', commands), 'serve');
  assert.equal(closestMatch('chekc', commands), 'check');
  assert.equal(closestMatch('mig', commands), 'migrate');
  assert.equal(closestMatch('send', commands), 'send-test-email');
  // Two commands begin with "se" and none is near: no guess.
  assert.equal(closestMatch('se', commands), null);
  assert.equal(closestMatch('deploy', commands), null);
  assert.equal(closestMatch('', commands), null);
});
