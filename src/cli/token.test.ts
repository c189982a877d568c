import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '#src/db/client.ts';
import { apiTokens } from '#src/db/schema.ts';
import { runInProcess, showRun } from '#test/helpers/cli.ts';
import { seededDataDir } from '#test/helpers/pglite-template.ts';

describe('hoplink token (embedded database)', () => {
  const dataDir = seededDataDir('hoplink-token-');
  const env = { NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  before(async () => {
    const run = await runInProcess(
      ['createsuperuser', '--email', 'ops@example.com', '--username', 'ops'],
      { env, input: 'violet kettle under seven lamps\n' },
    );
    assert.equal(run.code, 0, showRun(run));
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function tokenRows() {
    const handle = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'db') });
    try {
      return await handle.db.select().from(apiTokens);
    } finally {
      await handle.close();
    }
  }

  test('create prints only the token, once; revoke by its prefix', async () => {
    const created = await runInProcess(
      [
        'token',
        'create',
        '--email',
        'OPS@example.com',
        '--name',
        'deploy',
        '--scopes',
        'links:read',
      ],
      { env },
    );
    assert.equal(created.code, 0, showRun(created));
    const token = created.stdout.trim();
    assert.match(created.stdout, /^hop_[a-z0-9]{8}_[A-Za-z0-9]{32}\n$/);
    assert.match(
      created.stderr,
      /Created API token "deploy" \(hop_[a-z0-9]{8}\) for ops@example\.com/,
    );

    const [row] = await tokenRows();
    assert.ok(row, 'a token row');
    assert.equal(row.tokenHash, createHash('sha256').update(token).digest('hex'));
    assert.deepEqual(row.scopes, ['links:read']);
    assert.equal(row.revokedAt, null);

    const revoked = await runInProcess(['token', 'revoke', token.slice(0, 12)], { env });
    assert.equal(revoked.code, 0, showRun(revoked));
    assert.match(
      revoked.stdout,
      /Revoked API token "deploy" \(hop_[a-z0-9]{8}\) of ops@example\.com\./,
    );
    const [after] = (await tokenRows()).filter((candidate) => candidate.id === row.id);
    assert.ok(after?.revokedAt instanceof Date);
  });

  test('read-only unless --scopes asks for links:write, as on /settings/tokens; the output says which', async () => {
    const plain = await runInProcess(
      ['token', 'create', '--email', 'ops@example.com', '--name', 'reader'],
      { env },
    );
    assert.equal(plain.code, 0, showRun(plain));
    assert.match(
      plain.stderr,
      /with scopes links:read \(read-only: pass --scopes links:read,links:write to let it change links\)\./,
    );

    const writer = await runInProcess(
      [
        'token',
        'create',
        '--email',
        'ops@example.com',
        '--name',
        'writer',
        '--scopes',
        'links:read,links:write',
      ],
      { env },
    );
    assert.equal(writer.code, 0, showRun(writer));
    assert.match(writer.stderr, /with scopes links:read, links:write\. It is shown this once/);

    // Read once both have run: each open of the embedded database costs a second or two.
    const rows = await tokenRows();
    const scopesOf = (token: string) =>
      rows.find((row) => row.tokenHash === createHash('sha256').update(token).digest('hex'))
        ?.scopes;
    assert.deepEqual(scopesOf(plain.stdout.trim()), ['links:read']);
    assert.deepEqual(scopesOf(writer.stdout.trim()), ['links:read', 'links:write']);
  });

  test('refusals: unknown email, unknown scope, unknown prefix (exit 1); bad usage (exit 2)', async () => {
    const unknownEmail = await runInProcess(
      ['token', 'create', '--email', 'nobody@example.com', '--name', 'x'],
      { env },
    );
    assert.equal(unknownEmail.code, 1, showRun(unknownEmail));
    assert.match(unknownEmail.stderr, /no account has the email address nobody@example\.com/);
    assert.equal(unknownEmail.stdout, '');

    const badScope = await runInProcess(
      ['token', 'create', '--email', 'ops@example.com', '--name', 'x', '--scopes', 'links:admin'],
      { env },
    );
    assert.equal(badScope.code, 1, showRun(badScope));
    assert.match(badScope.stderr, /scopes: Scopes are links:read, links:write\./);

    const unknownPrefix = await runInProcess(['token', 'revoke', 'hop_zzzzzzzz'], { env });
    assert.equal(unknownPrefix.code, 1, showRun(unknownPrefix));

    const usage = await runInProcess(['token', 'delete', 'x'], { env });
    assert.equal(usage.code, 2, showRun(usage));
    assert.match(usage.stderr, /usage: hoplink token create/);
    assert.match(usage.stderr, /--scopes defaults to links:read \(read-only\)/);
  });

  // A NUL cannot be passed in argv (the kernel ends each argument there); every other control can.
  test('a control character in a flag is a usage error naming the flag (exit 2), no token', async () => {
    const before = (await tokenRows()).length;
    for (const [flag, args] of [
      ['--name', ['--email', 'ops@example.com', '--name', 'deploy\u001b[2Jbot']],
      ['--email', ['--email', 'ops@example.com\u0007', '--name', 'deploy']],
    ] as const) {
      const run = await runInProcess(['token', 'create', ...args], { env });
      assert.equal(run.code, 2, showRun(run));
      assert.equal(
        run.stderr,
        `hoplink: ${flag} contains a control character (U+${flag === '--name' ? '001B' : '0007'}), which is not accepted\n`,
      );
      assert.equal(run.stdout, '');
    }
    const revoke = await runInProcess(['token', 'revoke', 'hop_\u0001'], { env });
    assert.equal(revoke.code, 2, showRun(revoke));
    assert.match(revoke.stderr, /argument 2 contains a control character \(U\+0001\)/);
    assert.equal((await tokenRows()).length, before);
  });
});
