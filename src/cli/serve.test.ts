import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { runHoplink, showRun } from '#test/helpers/cli.ts';

test('serve on a port in use: one line naming the address and what to do, exit 1, promptly', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as AddressInfo;
  try {
    const started = Date.now();
    const run = await runHoplink(['serve', '--host', '127.0.0.1', '--port', String(port)], {
      // Development on the embedded database, with a secret so no warning comes first.
      env: { NODE_ENV: 'development', SECRET_KEY: randomBytes(48).toString('base64url') },
      // Bounded: a server that started, or hung, is killed and fails the test.
      timeoutMs: 30_000,
    });
    assert.equal(run.code, 1, showRun(run));
    assert.equal(
      run.stderr,
      `Hoplink cannot start: cannot listen on 127.0.0.1:${String(port)}: the address is already in use (another \`hoplink serve\`, or another program). Stop it, or choose another port with --port or SERVER_PORT.\n`,
      showRun(run),
    );
    assert.equal(run.stdout, '', showRun(run));
    assert.ok(Date.now() - started < 20_000, `took ${String(Date.now() - started)} ms`);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});
