import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FINDINGS, finding, levelIn, type RegistryEntry } from './finding-registry.ts';

const entries = Object.entries(FINDINGS as Readonly<Record<string, RegistryEntry>>);
const LEVEL_OF_LETTER = { E: 'error', W: 'warning', I: 'info' } as const;

test('finding ids are well-formed, unique, and their letter matches their level', () => {
  const seen = new Set<string>();
  for (const [key, entry] of entries) {
    assert.match(key, /^[EWI]\d{3}$/, `${key} is a letter and three digits`);
    assert.ok(!seen.has(`hoplink.${key}`), `hoplink.${key} is declared once`);
    seen.add(`hoplink.${key}`);
    assert.equal(entry.level, LEVEL_OF_LETTER[key[0] as keyof typeof LEVEL_OF_LETTER], key);
  }
});

test('each entry says what the docs table needs', () => {
  for (const [key, entry] of entries) {
    if ('retired' in entry) {
      assert.ok(entry.retired.length > 10, `${key} says why it was retired`);
      continue;
    }
    assert.ok(entry.meaning.length > 10 && entry.fix.length > 5, `${key} has a meaning and a fix`);
    if ('production' in entry) {
      assert.ok(entry.production ?? entry.elsewhere, `${key} can be raised in some profile`);
    } else {
      // docs/checks.md says so of every note.
      if (entry.level === 'info') assert.equal(entry.when, 'deploy', key);
    }
  }
});

test('finding() fills the templates, and leaves out a setting when there is none', () => {
  assert.deepEqual(finding('E006', { present: 'SERVER_TLS_CERT', missing: 'SERVER_TLS_KEY' }), {
    id: 'hoplink.E006',
    level: 'error',
    setting: 'SERVER_TLS_KEY',
    message: 'SERVER_TLS_CERT is set but SERVER_TLS_KEY is not: half a TLS pair.',
    hint: 'Set SERVER_TLS_KEY too for HTTPS, or unset SERVER_TLS_CERT to serve plain HTTP behind a proxy.',
  });
  assert.equal('setting' in finding('W014', { path: '/srv/.env' }), false);
  assert.equal('setting' in finding('E010', { dotenv: '/srv/.env' }), false);
});

test('levelIn forgives only the errors the registry marks as warnings outside production', () => {
  const weak = finding('E002', { weakness: 'too short' });
  assert.equal(levelIn(weak, 'production'), 'error');
  assert.equal(levelIn(weak, 'development'), 'warning');
  assert.equal(levelIn(finding('E009'), 'test'), 'error');
  assert.equal(levelIn(finding('W001'), 'production'), 'warning');
});

test('no source outside the registry writes a finding id (every finding comes from finding())', () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((item) => {
      const path = join(dir, item.name);
      if (item.isDirectory()) return sources(path);
      return item.name.endsWith('.ts') && !item.name.endsWith('.test.ts') ? [path] : [];
    });
  const spelled = sources('src').filter(
    (path) =>
      path !== join('src', 'settings', 'finding-registry.ts') &&
      /['"`]hoplink\.[EWI]\d{3}/.test(readFileSync(path, 'utf8')),
  );
  assert.deepEqual(spelled, []);
});
