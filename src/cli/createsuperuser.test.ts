import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { inArray } from 'drizzle-orm';
import { openDatabase } from '#src/db/client.ts';
import { users } from '#src/db/schema.ts';
import { verifyPassword } from '#src/modules/accounts/index.ts';
import { runInProcess, showRun } from '#test/helpers/cli.ts';
import { seededDataDir } from '#test/helpers/pglite-template.ts';

const PASSWORD = 'violet kettle under seven lamps';

describe('hoplink createsuperuser (embedded database)', () => {
  const dataDir = seededDataDir('hoplink-createsuperuser-');
  const env = { NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The rows of these usernames, read once the command has closed the embedded database. */
  async function findUsers(...usernames: string[]) {
    const handle = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'db') });
    try {
      return await handle.db.select().from(users).where(inArray(users.username, usernames));
    } finally {
      await handle.close();
    }
  }

  test('creates a staff account with the password read from stdin', async () => {
    const run = await runInProcess(
      ['createsuperuser', '--email', 'Root@Example.com', '--username', 'Root_Admin'],
      { env, input: `${PASSWORD}\n` },
    );
    assert.equal(run.code, 0, showRun(run));
    assert.equal(run.stdout, 'Created staff account root_admin <Root@Example.com>.\n');
    assert.ok(!run.stdout.includes(PASSWORD) && !run.stderr.includes(PASSWORD));
    const [row] = await findUsers('root_admin');
    assert.ok(row, 'the account exists');
    assert.equal(row.isStaff, true);
    assert.equal(row.email, 'Root@Example.com');
    assert.equal(await verifyPassword(row.passwordHash, PASSWORD), true);
  });

  test('the sign-up rules apply: each problem is printed and nothing is created', async () => {
    const run = await runInProcess(
      ['createsuperuser', '--email', 'weak@example.com', '--username', 'weakling'],
      { env, input: '12345\n' },
    );
    assert.equal(run.code, 1, showRun(run));
    assert.match(run.stderr, /password: This password is too short/);
    assert.match(run.stderr, /password: This password is entirely numeric\./);
    assert.deepEqual(await findUsers('weakling'), []);
  });

  test('without a terminal, the flags and a password on stdin are required (exit 2)', async () => {
    const missingFlag = await runInProcess(['createsuperuser', '--email', 'x@example.com'], {
      env,
      input: `${PASSWORD}\n`,
    });
    assert.equal(missingFlag.code, 2, showRun(missingFlag));
    assert.match(missingFlag.stderr, /--email and --username are required/);
    const noPassword = await runInProcess(
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
    for (const { args, input, says } of cases) {
      const run = await runInProcess(['createsuperuser', ...args], { env, input });
      assert.equal(run.code, 2, showRun(run));
      assert.match(run.stderr, says);
      assert.equal(run.stdout, '');
    }
    assert.deepEqual(await findUsers(...cases.map((item) => item.username)), []);
  });
});
