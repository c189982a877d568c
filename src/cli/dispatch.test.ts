import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runHoplink, runInProcess, showRun } from '#test/helpers/cli.ts';
import { COMMANDS } from './commands.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const cli = (...args: string[]) => runInProcess(args);

describe('hoplink help', () => {
  test('--help, -h, help and no command list every command on one line each', async () => {
    for (const args of [['--help'], ['-h'], ['help'], []]) {
      const run = await cli(...args);
      assert.equal(run.code, 0, args.join(' '));
      assert.equal(run.stderr, '');
      assert.match(run.stdout, /^Usage: hoplink <command> \[options\]\n/);
      for (const spec of COMMANDS) {
        assert.match(run.stdout, new RegExp(`^ {2}${spec.name} +${escape(spec.summary)}$`, 'm'));
      }
    }
  });

  test('<command> --help and -h print its usage, what it does and every flag, exit 0', async () => {
    for (const spec of COMMANDS) {
      for (const args of [
        [spec.name, '--help'],
        [spec.name, '-h'],
        ['help', spec.name],
      ]) {
        const run = await cli(...args);
        assert.equal(run.code, 0, args.join(' '));
        assert.equal(run.stderr, '');
        assert.ok(run.stdout.startsWith(`Usage: hoplink ${spec.name}`), run.stdout);
        assert.ok(run.stdout.includes(spec.description.split(' ').slice(0, 4).join(' ')));
        for (const flag of Object.keys(spec.options)) {
          assert.match(run.stdout, new RegExp(`^ {2}--${flag}\\b`, 'm'), `${spec.name} --${flag}`);
        }
        assert.match(run.stdout, /^Exit codes:\n {2}0 {2}/m);
      }
    }
  });

  test('migrate --help tells the --check exit codes apart', async () => {
    const run = await cli('migrate', '--help');
    assert.match(run.stdout, /^ {2}1 {2}.*\(--check\) migrations are pending$/m);
    assert.match(run.stdout, /^ {2}3 {2}\(--check\) could not tell/m);
  });

  test('help reads no settings: a production environment missing everything still gets it', async () => {
    const env = { NODE_ENV: 'production', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const run = await runInProcess(['serve', '--help'], { env });
    assert.equal(run.code, 0, showRun(run));
    assert.equal(run.stderr, '', showRun(run));
    assert.match(run.stdout, /^Usage: hoplink serve /);
  });
});

describe('hoplink --version', () => {
  test('prints the version of package.json', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await cli(flag);
      assert.deepEqual(run, { code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
  });

  test('in a real process too: main.ts prints it and exits 0', async () => {
    const run = await runHoplink(['--version']);
    assert.equal(run.code, 0, showRun(run));
    assert.equal(run.stdout, `${VERSION}\n`);
  });
});

describe('mistakes on the command line exit 2 with a suggestion', () => {
  test('an unknown command near a known one', async () => {
    const run = await cli('srve', '--port', '8000');
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      'hoplink: unknown command "srve". Did you mean "serve"?\nRun "hoplink --help" to list the commands.\n',
    );
    assert.match(
      (await cli('mig')).stderr,
      /^hoplink: unknown command "mig"\. Did you mean "migrate"\?\n/,
    );
    assert.match((await cli('help', 'chekc')).stderr, /Did you mean "check"\?/);
  });

  test('an unknown command near none, and a flag where the command should be', async () => {
    const far = await cli('deploy');
    assert.equal(far.code, 2);
    assert.equal(
      far.stderr,
      'hoplink: unknown command "deploy".\nRun "hoplink --help" to list the commands.\n',
    );
    const flag = await cli('--port', '8000');
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^hoplink: "--port" is not a command; the command comes first/);
  });

  test('an unknown flag: one line naming it, the nearest flag and the help', async () => {
    const [serve, migrate, far] = await Promise.all([
      runInProcess(['serve', '--prot', '8000']),
      runInProcess(['migrate', '--chek']),
      runInProcess(['worker', `--${randomBytes(3).toString('hex')}zz`]),
    ]);
    assert.equal(serve.code, 2, showRun(serve));
    assert.equal(
      serve.stderr,
      'hoplink: unknown flag "--prot" for serve. Did you mean "--port"? See "hoplink serve --help".\n',
    );
    assert.equal(migrate.code, 2, showRun(migrate));
    assert.equal(
      migrate.stderr,
      'hoplink: unknown flag "--chek" for migrate. Did you mean "--check"? See "hoplink migrate --help".\n',
    );
    assert.equal(far.code, 2, showRun(far));
    assert.match(
      far.stderr,
      /^hoplink: unknown flag "--\w+" for worker\. See "hoplink worker --help"\.\n$/,
    );
  });

  test('in a real process, main.ts exits with the usage error code and its one line', async () => {
    const run = await runHoplink(['serve', '--prot', '8000']);
    assert.equal(run.code, 2, showRun(run));
    assert.equal(
      run.stderr,
      'hoplink: unknown flag "--prot" for serve. Did you mean "--port"? See "hoplink serve --help".\n',
    );
    assert.equal(run.stdout, '');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
