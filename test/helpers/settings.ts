import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { loadSettings, type Finding, type LoadedSettings } from '#src/settings/index.ts';

export type Env = Record<string, string>;

/** A production configuration the loader accepts without an error. */
export const production = (): Env => ({
  NODE_ENV: 'production',
  SECRET_KEY: randomBytes(48).toString('base64url'),
  ALLOWED_HOSTS: 'hop.example.com',
  SITE_URL: 'https://hop.example.com',
  DATABASE_URL: 'postgres://hoplink:db-password@db.internal:5432/hoplink',
  REDIS_URL: 'redis://:redis-password@redis.internal:6379/0',
  EMAIL_URL: 'smtp://hoplink:mail-password@mail.internal:587',
});

/** An empty directory for one test (secret files, say), removed when the test ends. */
export function workspace(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hoplink-settings-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Loads `env` alone, from an empty directory of its own (no `.env`, no dev secret written). */
export function load(t: TestContext, env: Env): LoadedSettings {
  return loadSettings({ env, cwd: workspace(t), persistDevSecret: false });
}

export const ids = (findings: readonly Finding[]) => findings.map((finding) => finding.id);
