import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { format, resolveConfig } from 'prettier';
import { checksReference } from './checks-reference.ts';
import { definitionList } from './definitions.ts';
import { envExample, settingsReference } from './reference.ts';

test('docs/settings.md is generated from the schema (run `npm run docs`)', () => {
  assert.equal(readFileSync('docs/settings.md', 'utf8'), settingsReference());
});

test('.env.example is generated from the schema (run `npm run docs`)', () => {
  assert.equal(readFileSync('.env.example', 'utf8'), envExample());
});

test('docs/checks.md is generated from the finding registry (run `npm run docs`)', () => {
  assert.equal(readFileSync('docs/checks.md', 'utf8'), checksReference());
});

// Unlike docs/settings.md, docs/checks.md is not in .prettierignore: its padded tables stay
// readable as plain text, so the generator must write exactly what Prettier would.
test('docs/checks.md is generated already formatted by Prettier', async () => {
  const options = await resolveConfig('docs/checks.md');
  const generated = checksReference();
  assert.equal(await format(generated, { ...options, filepath: 'docs/checks.md' }), generated);
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
