import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '#src/db/client.ts';
import { invitations } from '#src/db/schema.ts';
import { runInProcess, showRun } from '#test/helpers/cli.ts';
import { seededDataDir } from '#test/helpers/pglite-template.ts';

describe('hoplink invite (embedded database)', () => {
  const dataDir = seededDataDir('hoplink-invite-');
  const env = {
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    SECRET_KEY: randomBytes(48).toString('base64url'),
    // The in-process queue's warning and the console's email stay out of the output compared.
    LOG_LEVEL: 'error',
  };
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

  async function invitationRows() {
    const handle = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'db') });
    try {
      return await handle.db.select().from(invitations);
    } finally {
      await handle.close();
    }
  }

  test('prints one line naming the address and until when its link works', async () => {
    const run = await runInProcess(['invite', '--email', ' Ada@Example.com '], { env });
    assert.equal(run.code, 0, showRun(run));
    assert.match(
      run.stdout,
      /^Invited Ada@Example\.com: the email is queued; its link works once, until \d{4}-\d\d-\d\d \d\d:\d\d UTC\.\n$/,
    );
    assert.equal(run.stderr, '', showRun(run));
    const [row] = (await invitationRows()).filter((item) => item.email === 'Ada@Example.com');
    assert.ok(row, 'an invitation row');
    assert.equal(row.invitedBy, null, 'made by nobody in particular');
    assert.equal(row.usedAt, null);
    assert.equal(row.revokedAt, null);
    // The email job ran in this process (no Redis): it minted the link, of which only a hash stays.
    assert.match(row.tokenHash ?? '', /^[0-9a-f]{64}$/);
    const days = (row.expiresAt.getTime() - row.createdAt.getTime()) / 86_400_000;
    assert.ok(Math.abs(days - 7) < 0.01, `INVITATION_TTL's 7 days, not ${String(days)}`);
  });

  test('refuses in one line, exit 1: a malformed address, one that has an account', async () => {
    for (const [email, reason] of [
      ['not an address', /^hoplink: refused: email: .+\n$/],
      [
        'OPS@example.com',
        /^hoplink: refused: email: An account with this email address already exists\.\n$/,
      ],
    ] as const) {
      const run = await runInProcess(['invite', '--email', email], { env });
      assert.equal(run.code, 1, showRun(run));
      assert.equal(run.stdout, '');
      assert.match(run.stderr, reason, showRun(run));
    }
    assert.equal(
      (await invitationRows()).filter((row) => row.email !== 'Ada@Example.com').length,
      0,
      'nothing was created',
    );
  });

  test('a usage error is one line too, exit 2, before any settings are read', async () => {
    const missing = await runInProcess(['invite'], { env: {} });
    assert.equal(missing.code, 2, showRun(missing));
    assert.equal(missing.stderr, 'hoplink: invite needs --email E\n');
    const unknown = await runInProcess(['invite', '--mail', 'a@example.com'], { env: {} });
    assert.equal(unknown.code, 2, showRun(unknown));
    assert.match(
      unknown.stderr,
      /^hoplink: unknown flag "--mail" for invite\. Did you mean "--email"\?/,
    );
    assert.equal(unknown.stderr.split('\n').length, 2, 'one line');
  });
});
