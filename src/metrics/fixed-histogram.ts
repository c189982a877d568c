import type { Metric } from 'prom-client';

/** One line of a metric as prom-client's registry prints it. */
interface Sample {
  readonly metricName: string;
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
}

/**
 * A histogram without labels whose `observe` allocates nothing and hashes nothing: a scan of a
 * few bounds and three additions. prom-client's own histogram builds a label key and a closure
 * per observation, fine for a page but not for the redirect (decision 0022). It reaches
 * Prometheus through `asMetric`, in the same shape prom-client gives its histograms, so the
 * registry prints it and the serve primary adds it up like any other.
 */
export class FixedHistogram {
  /** Per bucket, not cumulative; the last one is +Inf. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  /** `bounds`: upper bounds (`le`), ascending. */
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const { bounds } = this;
    let index = 0;
    while (index < bounds.length && value > (bounds[index] ?? Infinity)) index += 1;
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.sum += value;
    this.count += 1;
  }

  /** A metric object for `registry.registerMetric`, read at scrape time. */
  asMetric(name: string, help: string): Metric {
    const values = (): Sample[] => {
      const buckets: Sample[] = [];
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += this.counts[index] ?? 0;
        buckets.push(sample(`${name}_bucket`, cumulative, { le: bound }));
      });
      return [
        ...buckets,
        sample(`${name}_bucket`, this.count, { le: '+Inf' }),
        sample(`${name}_sum`, this.sum, {}),
        sample(`${name}_count`, this.count, {}),
      ];
    };
    const metric = {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: () =>
        Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values: values() }),
      reset: () => undefined,
    };
    // registerMetric takes prom-client's classes; it reads only these fields (its own cluster
    // aggregation registers plain objects the same way).
    return metric as unknown as Metric;
  }
}

function sample(metricName: string, value: number, labels: Sample['labels']): Sample {
  return { metricName, value, labels };
}
