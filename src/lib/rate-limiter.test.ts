import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMemoryRateLimitStore } from './rate-limiter.ts';

describe('createMemoryRateLimitStore', () => {
  test('counts hits per key and refuses past the limit, saying when the window ends', async () => {
    let clock = 1_000;
    const store = createMemoryRateLimitStore({ now: () => clock });
    const decisions = [];
    for (let i = 0; i < 4; i += 1) decisions.push(await store.consume('a', 3, 60_000));
    assert.deepEqual(
      decisions.map((decision) => [decision.allowed, decision.remaining]),
      [
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ],
    );
    assert.equal(decisions[3]?.retryAfterMs, 60_000);
    assert.equal((await store.consume('b', 3, 60_000)).allowed, true, 'another key is apart');
    clock += 20_000;
    assert.equal((await store.consume('a', 3, 60_000)).retryAfterMs, 40_000);
  });

  test('a new window starts after the old one ends', async () => {
    let clock = 0;
    const store = createMemoryRateLimitStore({ now: () => clock });
    assert.equal((await store.consume('a', 1, 1_000)).allowed, true);
    assert.equal((await store.consume('a', 1, 1_000)).allowed, false);
    clock = 1_000;
    assert.equal((await store.consume('a', 1, 1_000)).allowed, true);
  });

  test('parallel hits cannot share the last free one', async () => {
    const store = createMemoryRateLimitStore();
    const decisions = await Promise.all(
      Array.from({ length: 50 }, () => store.consume('a', 5, 60_000)),
    );
    assert.equal(decisions.filter((decision) => decision.allowed).length, 5);
  });

  test('refund gives one hit back (never below zero); reset forgets the key', async () => {
    const store = createMemoryRateLimitStore();
    await store.consume('a', 1, 60_000);
    await store.refund('a');
    await store.refund('a');
    assert.equal((await store.consume('a', 1, 60_000)).allowed, true);
    assert.equal((await store.consume('a', 1, 60_000)).allowed, false);
    await store.reset('a');
    assert.equal((await store.consume('a', 1, 60_000)).allowed, true);
  });

  test('memory stays bounded: the least recently used keys are forgotten', async () => {
    const store = createMemoryRateLimitStore({ maxKeys: 2 });
    for (const key of ['a', 'b', 'c']) await store.consume(key, 1, 60_000);
    assert.equal((await store.consume('a', 1, 60_000)).allowed, true, 'a was forgotten');
    assert.equal((await store.consume('c', 1, 60_000)).allowed, false);
  });
});
