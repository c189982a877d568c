import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSettings } from './load-settings.ts';

const load = (env: Record<string, string>) =>
  loadSettings({ env, envFile: '/nonexistent/.env', persistDevSecret: false });
const ids = (env: Record<string, string>) => load(env).findings.map((finding) => finding.id);
const PRODUCTION = {
  NODE_ENV: 'production',
  SECRET_KEY: 'k'.repeat(20) + 'abcdefghijklmnopqrstuvwxyz0123456789',
  ALLOWED_HOSTS: 'hop.example.com',
  SITE_URL: 'https://hop.example.com',
  DATABASE_URL: 'postgres://hoplink@db/hoplink',
  EMAIL_URL: 'smtp://user:pass@mail.example.com:587',
};

test('QUEUE_MODE is derived: eager under test, memory in development, redis with REDIS_URL', () => {
  assert.equal(load({ NODE_ENV: 'test' }).settings.queueMode, 'eager');
  assert.equal(load({ NODE_ENV: 'development' }).settings.queueMode, 'memory');
  assert.equal(
    load({ NODE_ENV: 'development', REDIS_URL: 'redis://127.0.0.1:6379' }).settings.queueMode,
    'redis',
  );
  assert.equal(
    load({ NODE_ENV: 'test', QUEUE_MODE: 'memory' }).settings.queueMode,
    'memory',
    'an explicit QUEUE_MODE wins',
  );
});

test('QUEUE_MODE=redis needs REDIS_URL; production refuses anything but redis', () => {
  assert.ok(ids({ NODE_ENV: 'development', QUEUE_MODE: 'redis' }).includes('hoplink.E016'));
  const production = load({ ...PRODUCTION, REDIS_URL: 'redis://redis:6379' });
  assert.equal(production.settings.queueMode, 'redis');
  assert.ok(!production.findings.some((finding) => finding.id === 'hoplink.E016'));
  assert.ok(
    ids({ ...PRODUCTION, REDIS_URL: 'redis://r:6379', QUEUE_MODE: 'memory' }).includes(
      'hoplink.E016',
    ),
  );
  const missing = load(PRODUCTION).findings.filter((finding) => finding.setting === 'REDIS_URL');
  assert.deepEqual(
    missing.map((finding) => finding.id),
    ['hoplink.E011'],
  );
});

test('REDIS_URL and EMAIL_URL must have the right scheme and are secrets', () => {
  const bad = load({
    NODE_ENV: 'development',
    REDIS_URL: 'http://x',
    EMAIL_URL: 'mail.example.com',
  });
  const settings = bad.findings.filter((finding) => finding.id === 'hoplink.E010');
  assert.deepEqual(settings.map((finding) => finding.setting).sort(), ['EMAIL_URL', 'REDIS_URL']);
  const good = load({
    NODE_ENV: 'development',
    EMAIL_URL: 'smtps://u:secret@mail.example.com:465',
  });
  assert.equal(good.settings.emailUrl?.reveal(), 'smtps://u:secret@mail.example.com:465');
  assert.ok(!String(good.settings.emailUrl).includes('secret'));
});
