import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { definitionList } from './definitions.ts';
import { envExample, settingsReference } from './reference.ts';

test('docs/settings.md is generated from the schema (run `npm run docs`)', () => {
  assert.equal(readFileSync('docs/settings.md', 'utf8'), settingsReference());
});

test('.env.example is generated from the schema (run `npm run docs`)', () => {
  assert.equal(readFileSync('.env.example', 'utf8'), envExample());
});

test('every setting is documented in the reference, secrets with their _FILE form', () => {
  const reference = settingsReference();
  for (const definition of definitionList) {
    assert.ok(reference.includes(`\`${definition.env}\``), definition.env);
    assert.ok(definition.doc.length > 10, `${definition.env} has a real description`);
    if (definition.secret)
      assert.ok(reference.includes(`\`${definition.env}_FILE\``), definition.env);
  }
});
