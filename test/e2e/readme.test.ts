import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The shell command in the fenced block right after `<!-- readme:NAME -->`. */
function readmeCommand(name: string): string {
  const match = new RegExp(`<!-- readme:${name} -->\\s*\`\`\`sh\\n([^\\n]+)\\n\`\`\``).exec(README);
  assert.ok(match?.[1], `README has a readme:${name} block`);
  return match[1];
}

describe('the README commands stay true', () => {
  test('CI runs the README test command verbatim', () => {
    const command = readmeCommand('test');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    assert.ok(
      ci.split('\n').some((line) => line.trim().startsWith(command)),
      `.ci/run runs "${command}"`,
    );
  });

  test('the run command serves Hoplink on its embedded defaults', async (t) => {
    const command = readmeCommand('run');
    // The install half already ran (this suite runs after it); start the rest exactly as written.
    const start = command.replace(/^npm ci && /, '');
    assert.notEqual(start, command, 'the run command installs first, for a fresh machine');
    const dataDir = mkdtempSync(join(tmpdir(), 'hoplink-readme-'));
    // Only the port and data directory differ from a newcomer's run, so parallel suites never clash.
    const child = spawn('sh', ['-c', start], {
      cwd: ROOT,
      detached: true,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SERVER_PORT: '0',
        DATA_DIR: dataDir,
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // already stopped
      }
      rmSync(dataDir, { recursive: true, force: true });
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no startup line within 60 s:\n${output}`));
      }, 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Hoplink listening on (http:\/\/[^\s)"]+)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    assert.match(output, /profile development, 1 worker, TLS off, database embedded/);

    const home = await fetch(`${url}/`, { headers: { host: 'localhost' } });
    assert.equal(home.status, 200);
    assert.match(await home.text(), /Hoplink/);
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);

    process.kill(-(child.pid ?? 0), 'SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
  });
});
