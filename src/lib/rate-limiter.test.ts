import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRateLimiter } from './rate-limiter.ts';

describe('createRateLimiter', () => {
  test('blocks a key once it used its window, and only that key', () => {
    let clock = 1_000;
    const limiter = createRateLimiter({ limit: 3, windowMs: 60_000, now: () => clock });
    for (let i = 0; i < 3; i += 1) {
      assert.equal(limiter.check('a').blocked, false);
      limiter.hit('a');
    }
    assert.deepEqual(limiter.check('a'), { blocked: true, retryAfterMs: 60_000 });
    assert.equal(limiter.check('b').blocked, false);
    clock += 20_000;
    assert.equal(limiter.check('a').retryAfterMs, 40_000);
  });

  test('a new window starts after the old one ends', () => {
    let clock = 0;
    const limiter = createRateLimiter({ limit: 1, windowMs: 1_000, now: () => clock });
    limiter.hit('a');
    assert.equal(limiter.check('a').blocked, true);
    clock = 1_000;
    assert.equal(limiter.check('a').blocked, false);
    limiter.hit('a');
    assert.equal(limiter.check('a').blocked, true);
  });

  test('reset forgets a key', () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 1_000 });
    limiter.hit('a');
    limiter.reset('a');
    assert.equal(limiter.check('a').blocked, false);
  });

  test('memory stays bounded: the least recently used keys are forgotten', () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 2 });
    limiter.hit('a');
    limiter.hit('b');
    limiter.hit('c');
    assert.equal(limiter.check('a').blocked, false);
    assert.equal(limiter.check('c').blocked, true);
  });
});
