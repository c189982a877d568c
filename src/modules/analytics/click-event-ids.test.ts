import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { createClickEventIds } from './click-event-ids.ts';

test('click event ids are RFC 9562 UUIDs, distinct within and across processes', () => {
  const first = createClickEventIds();
  const second = createClickEventIds();
  const ids = [...Array.from({ length: 1000 }, first), ...Array.from({ length: 1000 }, second)];
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids.slice(0, 5).concat(ids.slice(-5))) {
    assert.ok(z.uuid().safeParse(id).success, `${id} is a UUID the worker accepts`);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});

test('the seed fills the random part and the counter counts from 1', () => {
  const next = createClickEventIds(Buffer.from('0123456789abcdef', 'hex'));
  assert.equal(next(), '01234567-89ab-8cde-8000-000000000001');
  assert.equal(next(), '01234567-89ab-8cde-8000-000000000002');
});
