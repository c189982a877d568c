import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FixedHistogram } from './fixed-histogram.ts';

/** One process's metrics as prom-client's JSON, for the serve primary to add up. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The Prometheus text format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

// Seconds. A redirect answered from memory takes tens of microseconds, one that waits for the
// database a millisecond or more; pages and the API take milliseconds to seconds.
const REDIRECT_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
// A click normally lands within the flush interval plus the queue (a second or two); during an
// outage it waits in the spool or the queue for minutes or hours.
const CLICK_LAG_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14400];

/** How long the worker reuses queue counts, so frequent scrapes cannot hammer Redis. */
const QUEUE_COUNTS_TTL_MS = 5_000;
/** The queue states reported: what waits (the depth), what runs, and the dead letters. */
const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed'] as const;

const NOT_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const UNKNOWN_JOB = { queue: 'unknown', job: 'unknown' } as const;

/** The redirect cache's counts (RedirectCache#stats in modules/links). */
export interface RedirectCounts {
  readonly outcomes: Readonly<Record<string, number>>;
  readonly links: number;
  readonly unknown: number;
}

/** The web process's click pipeline: the redirect's buffer and the delivery behind it. */
export interface ClickPipelineCounts {
  readonly sink: { readonly captured: number; readonly dropped: number; readonly pending: number };
  readonly delivery: () => {
    readonly queued: number;
    readonly spooled: number;
    readonly replayed: number;
    readonly dropped: number;
    readonly spoolBytes: number;
  };
}

/** One queue's job counts by state (JobQueue#overview in jobs/queue.ts). */
export interface QueueCounts {
  readonly queue: string;
  readonly counts: Readonly<Record<(typeof QUEUE_STATES)[number], number>>;
}

/** Observes one route's requests; the route's labels are bound once, when it is registered. */
export type RouteObserver = (method: string, statusCode: number, seconds: number) => void;

/**
 * The metrics of one process (a web worker, `hoplink worker`, or a CLI command that never shows
 * them). Hot paths never touch prom-client: they count in plain numbers that collectors read at
 * scrape time, or observe a FixedHistogram. Decision 0022.
 */
export interface ProcessMetrics {
  /** The Prometheus text format's media type. */
  readonly contentType: string;
  /** This process's metrics in the Prometheus text format. */
  text(): Promise<string>;
  /** The same, as JSON, for the serve primary to add up (cluster-metrics.ts). */
  snapshot(): Promise<MetricsSnapshot>;
  /** Memory, CPU, GC, event-loop lag and handles: prom-client's defaults, standard names. */
  collectProcessMetrics(): void;
  /** HTTP requests of every route but the redirect, by method, route and status. */
  forRoute(route: string): RouteObserver;
  /** Redirects by outcome and the cache's size, read from the cache at scrape time. */
  watchRedirects(stats: () => RedirectCounts): void;
  /** Every redirect's time to answer: allocation-free (FixedHistogram). */
  readonly redirectTiming: { observe(seconds: number): void };
  /** The click pipeline of a web process, read at scrape time. */
  watchClickPipeline(pipeline: ClickPipelineCounts): void;
  /** Job counts per queue and state, asked of the queue at most every 5 s. */
  watchQueues(overview: () => Promise<readonly QueueCounts[]>): void;
  /**
   * Wraps the job dispatcher: each run counted and timed by queue, job and result. `queueOf`
   * answers undefined for a name the registry does not know (labelled `unknown`, so a stray job
   * in Redis cannot mint series).
   */
  meterJobs<C>(
    dispatch: (name: string, payload: unknown, context: C) => Promise<void>,
    queueOf: (name: string) => string | undefined,
  ): (name: string, payload: unknown, context: C) => Promise<void>;
  /** After a batch is written: rows added, and each click's lag from capture to row. */
  clicksWritten(clicks: readonly { readonly clickedAt: number }[], inserted: number): void;
  /** One email handed to the transport, or refused by it. */
  emailSent(result: 'sent' | 'failed'): void;
}

export function createProcessMetrics(): ProcessMetrics {
  const registry = new Registry();
  const registers = [registry];
  let processMetrics = false;

  const jobRuns = new Counter({
    name: 'hoplink_jobs_total',
    help: 'Job runs by queue, job and result (completed or failed); a retry is another run.',
    labelNames: ['queue', 'job', 'result'],
    registers,
  });
  const jobDuration = new Histogram({
    name: 'hoplink_job_duration_seconds',
    help: 'Time a job run took, by queue and job.',
    labelNames: ['queue', 'job'],
    buckets: JOB_BUCKETS,
    registers,
  });
  const clicksWritten = new Counter({
    name: 'hoplink_clicks_written_total',
    help: 'Click rows added by the record-clicks job (redelivered clicks are not counted twice).',
    registers,
  });
  const clickLag = new FixedHistogram(CLICK_LAG_BUCKETS);
  registry.registerMetric(
    clickLag.asMetric(
      'hoplink_click_lag_seconds',
      'Time from a click being captured by a web process to its row being written (clocks of both machines).',
    ),
  );
  const emails = new Counter({
    name: 'hoplink_emails_total',
    help: 'Emails handed to the transport (sent) or refused by it (failed; the job retries).',
    labelNames: ['result'],
    registers,
  });
  emails.inc({ result: 'sent' }, 0);
  emails.inc({ result: 'failed' }, 0);

  const redirectTiming = new FixedHistogram(REDIRECT_BUCKETS);
  let httpRequests: Counter<'method' | 'route' | 'status'> | undefined;
  let httpDuration: Histogram<'method' | 'route' | 'status'> | undefined;

  return {
    contentType: METRICS_CONTENT_TYPE,
    text: () => registry.metrics(),
    snapshot: () => registry.getMetricsAsJSON(),
    collectProcessMetrics() {
      if (processMetrics) return;
      processMetrics = true;
      collectDefaultMetrics({ register: registry });
      // Gauges named like counters (promtool refuses them); nodejs_active_{handles,requests,
      // resources}, by type, stay and add up to the same.
      for (const name of NOT_COUNTERS) registry.removeSingleMetric(name);
    },
    forRoute(route) {
      httpRequests ??= new Counter({
        name: 'hoplink_http_requests_total',
        help: 'HTTP requests by method, route and status; redirects are hoplink_redirects_total.',
        labelNames: ['method', 'route', 'status'],
        registers,
      });
      httpDuration ??= new Histogram({
        name: 'hoplink_http_request_duration_seconds',
        help: 'Time to answer an HTTP request, by method, route and status; redirects are hoplink_redirect_duration_seconds.',
        labelNames: ['method', 'route', 'status'],
        buckets: HTTP_BUCKETS,
        registers,
      });
      const requests = httpRequests;
      const duration = httpDuration;
      const children = new Map<
        string,
        { readonly count: () => void; readonly observe: (seconds: number) => void }
      >();
      return (method, statusCode, seconds) => {
        const key = `${method} ${String(statusCode)}`;
        let child = children.get(key);
        if (!child) {
          const labels = { method, route, status: String(statusCode) };
          const counter = requests.labels(labels);
          const histogram = duration.labels(labels);
          child = {
            count: () => {
              counter.inc();
            },
            observe: (value) => {
              histogram.observe(value);
            },
          };
          children.set(key, child);
        }
        child.count();
        child.observe(seconds);
      };
    },
    watchRedirects(stats) {
      new Counter({
        name: 'hoplink_redirects_total',
        help: 'Redirect requests by outcome: hit and stale (answered from the cache), miss (after a database lookup), not_found (404), unavailable (503).',
        labelNames: ['outcome'],
        registers,
        collect() {
          this.reset();
          for (const [outcome, count] of Object.entries(stats().outcomes))
            this.inc({ outcome }, count);
        },
      });
      new Gauge({
        name: 'hoplink_redirect_cache_entries',
        help: 'Entries in the redirect cache: links (kind="link") and remembered unknown addresses (kind="unknown").',
        labelNames: ['kind'],
        registers,
        collect() {
          const { links, unknown } = stats();
          this.set({ kind: 'link' }, links);
          this.set({ kind: 'unknown' }, unknown);
        },
      });
      registry.registerMetric(
        redirectTiming.asMetric(
          'hoplink_redirect_duration_seconds',
          'Time to answer a request of the redirect route, from routing to the end of the response (404s and 503s included).',
        ),
      );
    },
    redirectTiming,
    watchClickPipeline({ sink, delivery }) {
      const counter = (name: string, help: string, read: () => number) =>
        new Counter({
          name,
          help,
          registers,
          collect() {
            this.reset();
            this.inc(read());
          },
        });
      const gauge = (name: string, help: string, read: () => number) =>
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(read());
          },
        });
      counter(
        'hoplink_clicks_captured_total',
        'Clicks captured by the redirect.',
        () => sink.captured,
      );
      counter(
        'hoplink_clicks_queued_total',
        'Captured clicks handed to the clicks queue directly.',
        () => delivery().queued,
      );
      counter(
        'hoplink_clicks_spooled_total',
        'Captured clicks written to the local spool while the queue was unreachable.',
        () => delivery().spooled,
      );
      counter(
        'hoplink_clicks_replayed_total',
        'Spooled clicks sent to the clicks queue once it answered again.',
        () => delivery().replayed,
      );
      new Counter({
        name: 'hoplink_clicks_dropped_total',
        help: 'Clicks given up: the memory buffer overflowed (reason="buffer_full") or the queue refused a batch for good (reason="refused").',
        labelNames: ['reason'],
        registers,
        collect() {
          this.reset();
          this.inc({ reason: 'buffer_full' }, sink.dropped);
          this.inc({ reason: 'refused' }, delivery().dropped);
        },
      });
      gauge(
        'hoplink_clicks_buffered',
        'Clicks captured and waiting in memory for their batch.',
        () => sink.pending,
      );
      gauge(
        'hoplink_click_spool_bytes',
        "Bytes of this process's click spool files: non-zero while the queue is unreachable or replaying.",
        () => delivery().spoolBytes,
      );
    },
    watchQueues(overview) {
      let cached: { at: number; counts: Promise<readonly QueueCounts[] | null> } | null = null;
      new Gauge({
        name: 'hoplink_queue_jobs',
        help: 'Jobs per queue and state: waiting and delayed (the depth), active, failed (dead letters). Read from the queue at most every 5 s.',
        labelNames: ['queue', 'state'],
        registers,
        async collect() {
          const now = performance.now();
          if (!cached || now - cached.at >= QUEUE_COUNTS_TTL_MS) {
            // A failed read shows no series (an absent depth), not a stale one.
            cached = { at: now, counts: overview().catch(() => null) };
          }
          const queues = await cached.counts;
          this.reset();
          for (const { queue, counts } of queues ?? []) {
            for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state]);
          }
        },
      });
    },
    meterJobs(dispatch, queueOf) {
      return async (name, payload, context) => {
        const queue = queueOf(name);
        const labels = queue === undefined ? UNKNOWN_JOB : { queue, job: name };
        const started = performance.now();
        let result = 'failed';
        try {
          await dispatch(name, payload, context);
          result = 'completed';
        } finally {
          jobRuns.inc({ ...labels, result });
          jobDuration.observe(labels, (performance.now() - started) / 1000);
        }
      };
    },
    clicksWritten(clicks, inserted) {
      clicksWritten.inc(inserted);
      // A batch delivered again adds no row, and its clicks' lag is not news.
      if (inserted === 0) return;
      const now = Date.now();
      for (const click of clicks) clickLag.observe(Math.max(0, now - click.clickedAt) / 1000);
    },
    emailSent(result) {
      emails.inc({ result });
    },
  };
}
