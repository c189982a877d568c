import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { openDatabase } from '#src/db/client.ts';
import { users } from '#src/db/schema.ts';
import { verifyPassword } from '#src/modules/accounts/index.ts';
import { runHoplink, showRun } from '#test/helpers/cli.ts';
import { seededDataDir } from '#test/helpers/pglite-template.ts';

const PASSWORD = 'violet kettle under seven lamps';

describe('hoplink createsuperuser (embedded database)', () => {
  const dataDir = seededDataDir('hoplink-createsuperuser-');
  const env = { NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The user row, read once the command has exited (PGlite allows one process at a time). */
  async function findUser(username: string) {
    const handle = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'db') });
    try {
      const [row] = await handle.db.select().from(users).where(eq(users.username, username));
      return row;
    } finally {
      await handle.close();
    }
  }

  test('creates a staff account with the password read from stdin', async () => {
    const run = await runHoplink(
      ['createsuperuser', '--email', 'Root@Example.com', '--username', 'Root_Admin'],
      { env, input: `${PASSWORD}\n` },
    );
    assert.equal(run.code, 0, showRun(run));
    assert.equal(run.stdout, 'Created staff account root_admin <Root@Example.com>.\n');
    assert.ok(!run.stdout.includes(PASSWORD) && !run.stderr.includes(PASSWORD));
    const row = await findUser('root_admin');
    assert.ok(row, 'the account exists');
    assert.equal(row.isStaff, true);
    assert.equal(row.email, 'Root@Example.com');
    assert.equal(await verifyPassword(row.passwordHash, PASSWORD), true);
  });

  test('the sign-up rules apply: each problem is printed and nothing is created', async () => {
    const run = await runHoplink(
      ['createsuperuser', '--email', 'weak@example.com', '--username', 'weakling'],
      { env, input: '12345\n' },
    );
    assert.equal(run.code, 1, showRun(run));
    assert.match(run.stderr, /password: This password is too short/);
    assert.match(run.stderr, /password: This password is entirely numeric\./);
    assert.equal(await findUser('weakling'), undefined);
  });

  test('without a terminal, the flags and a password on stdin are required (exit 2)', async () => {
    const missingFlag = await runHoplink(['createsuperuser', '--email', 'x@example.com'], {
      env,
      input: `${PASSWORD}\n`,
    });
    assert.equal(missingFlag.code, 2, showRun(missingFlag));
    assert.match(missingFlag.stderr, /--email and --username are required/);
    const noPassword = await runHoplink(
      ['createsuperuser', '--email', 'x@example.com', '--username', 'nopass'],
      { env },
    );
    assert.equal(noPassword.code, 2, showRun(noPassword));
    assert.match(noPassword.stderr, /no password on stdin/);
  });

  test('a control character in the email, the username or the password is a usage error (exit 2)', async () => {
    const cases = [
      {
        args: ['--email', 'ctl\u0001@example.com', '--username', 'ctl_email'],
        input: `${PASSWORD}\n`,
        username: 'ctl_email',
        says: /^hoplink: --email contains a control character \(U\+0001\)/,
      },
      {
        args: ['--email', 'ctl@example.com', '--username', 'ctl_\u001bname'],
        input: `${PASSWORD}\n`,
        username: 'ctl_\u001bname',
        says: /^hoplink: --username contains a control character \(U\+001B\)/,
      },
      {
        // Over stdin a NUL can come through, as it could from a password manager's pipe.
        args: ['--email', 'ctl@example.com', '--username', 'ctl_password'],
        input: 'violet kettle\u0000under seven lamps\n',
        username: 'ctl_password',
        says: /^hoplink: the password on stdin contains a control character \(U\+0000\)/,
      },
    ];
    for (const { args, input, username, says } of cases) {
      const run = await runHoplink(['createsuperuser', ...args], { env, input });
      assert.equal(run.code, 2, showRun(run));
      assert.match(run.stderr, says);
      assert.equal(run.stdout, '');
      assert.equal(await findUser(username), undefined);
    }
  });
});
