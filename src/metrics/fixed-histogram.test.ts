import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { FixedHistogram } from './fixed-histogram.ts';

// Binary fractions: sums come out the same whatever the order they are added in.
const BOUNDS = [0.0078125, 0.0625, 0.5, 4];
const VALUES = [0.00390625, 0.0078125, 0.015625, 0.0625, 0.25, 0.25, 2, 8, 0];

test('prints exactly what a prom-client histogram prints for the same observations', async () => {
  const ours = new Registry();
  const fixed = new FixedHistogram(BOUNDS);
  ours.registerMetric(fixed.asMetric('demo_seconds', 'A demo.'));
  const theirs = new Registry();
  const reference = new Histogram({
    name: 'demo_seconds',
    help: 'A demo.',
    buckets: BOUNDS,
    registers: [theirs],
  });
  for (const value of VALUES) {
    fixed.observe(value);
    reference.observe(value);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
});

test('snapshots of several processes add up bucket by bucket (the serve primary)', async () => {
  const snapshots = await Promise.all(
    [VALUES.slice(0, 3), VALUES.slice(3)].map(async (values) => {
      const registry = new Registry();
      const fixed = new FixedHistogram(BOUNDS);
      registry.registerMetric(fixed.asMetric('demo_seconds', 'A demo.'));
      for (const value of values) fixed.observe(value);
      return registry.getMetricsAsJSON();
    }),
  );
  const whole = new Registry();
  const fixed = new FixedHistogram(BOUNDS);
  whole.registerMetric(fixed.asMetric('demo_seconds', 'A demo.'));
  for (const value of VALUES) fixed.observe(value);
  assert.equal(await AggregatorRegistry.aggregate(snapshots).metrics(), await whole.metrics());
});
