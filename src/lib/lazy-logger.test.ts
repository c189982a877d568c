import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { lazyChildLogger } from './lazy-logger.ts';

test('a lazy child makes its child on first use and logs with its bindings', () => {
  const lines: string[] = [];
  const parent = pino(
    { base: null },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  let made = 0;
  const child = parent.child.bind(parent);
  parent.child = ((...args: Parameters<typeof child>) => {
    made += 1;
    return child(...args);
  }) as typeof parent.child;

  const lazy = lazyChildLogger(parent, { requestId: 'r-1' }, {});
  assert.equal(made, 0, 'nothing is built for a request that logs nothing');
  assert.equal(lazy.level, 'info');
  lazy.info({ code: 'abc' }, 'looked up');
  lazy.warn('again');
  assert.equal(made, 1, 'built once, on the first line');
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  assert.equal(typeof first.time, 'number');
  delete first.time;
  assert.deepEqual(first, { level: 30, requestId: 'r-1', code: 'abc', msg: 'looked up' });
});
