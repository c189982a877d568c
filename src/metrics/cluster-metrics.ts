import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { MetricsSnapshot } from './process-metrics.ts';

/**
 * `serve` is one Prometheus target however many web workers it runs: the primary asks each
 * worker for its metrics over the cluster's IPC channel and adds them up (prom-client's
 * AggregatorRegistry.aggregate). It also keeps what workers that left had counted, so a crash or
 * a reload does not make a counter go down (which Prometheus would read as a reset, and rate()
 * as a burst). Decision 0022.
 */
export interface ClusterMetrics {
  /** Every live worker's metrics added up, plus the counters of workers that left. */
  text(): Promise<string>;
  /** Hand it each message a worker sends; true when it was one of these. */
  handle(worker: Worker, message: unknown): boolean;
  /** A worker exited: its counters and histograms stay (as of its last snapshot), its gauges go. */
  forget(worker: Worker): void;
}

const COLLECT = 'hoplink:metrics-collect';
const SNAPSHOT = 'hoplink:metrics-snapshot';
const SCRAPE = 'hoplink:metrics-scrape';
const TEXT = 'hoplink:metrics-text';

/** How long the primary waits for a worker's snapshot before using its previous one. */
const SNAPSHOT_TIMEOUT_MS = 2_000;
/** How long a worker waits for the primary to answer (Prometheus's own timeout is 10 s). */
const SCRAPE_TIMEOUT_MS = 8_000;

interface Message {
  readonly type: string;
  readonly id: number;
}

function isMessage(message: unknown, type: string): message is Message {
  return (message as Partial<Message> | null)?.type === type;
}

// IPC speaks JSON, which has no NaN or Infinity (an event-loop mean before any sample is NaN):
// values travel as text and come back as numbers.
function encode(snapshot: MetricsSnapshot): string {
  return JSON.stringify(snapshot, (key, value: unknown) =>
    key === 'value' && typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
  );
}

function decode(text: string): MetricsSnapshot {
  return JSON.parse(text, (key, value: unknown) =>
    key === 'value' && typeof value === 'string' ? Number(value) : value,
  ) as MetricsSnapshot;
}

/** Counters and histograms only grow; gauges describe a process that is gone. */
function cumulative(snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.filter((metric) => {
    const type = metric.type as unknown;
    return type === 'counter' || type === 'histogram';
  });
}

/** In the serve primary. `workers`: the live ones (cluster.workers). */
export function createClusterMetrics(workers: () => Iterable<Worker>): ClusterMetrics {
  let nextId = 0;
  const answers = new Map<number, (snapshot: MetricsSnapshot) => void>();
  // By worker id (never reused by one primary).
  const latest = new Map<number, MetricsSnapshot>();
  const gone = new Set<number>();
  // What workers that left had counted, folded into one snapshot in the order they left.
  let retired: Promise<MetricsSnapshot> = Promise.resolve([]);

  function ask(worker: Worker): Promise<MetricsSnapshot | undefined> {
    const id = nextId++;
    return new Promise((resolve) => {
      const settle = (snapshot?: MetricsSnapshot) => {
        clearTimeout(timer);
        answers.delete(id);
        // A late answer from a worker that already left must not count twice.
        if (snapshot && !gone.has(worker.id)) latest.set(worker.id, snapshot);
        resolve(gone.has(worker.id) ? undefined : (snapshot ?? latest.get(worker.id)));
      };
      const timer = setTimeout(settle, SNAPSHOT_TIMEOUT_MS);
      answers.set(id, settle);
      worker.send({ type: COLLECT, id } satisfies Message, (error: Error | null) => {
        if (error) settle();
      });
    });
  }

  async function text(): Promise<string> {
    const live = [...workers()].filter((worker) => worker.isConnected() && !gone.has(worker.id));
    const [snapshots, carried] = await Promise.all([Promise.all(live.map(ask)), retired]);
    const all = [...snapshots.filter((snapshot) => snapshot !== undefined), carried];
    return AggregatorRegistry.aggregate(all).metrics();
  }

  return {
    text,
    handle(worker, message) {
      if (isMessage(message, SNAPSHOT)) {
        const { metrics } = message as Message & { readonly metrics: string };
        answers.get(message.id)?.(decode(metrics));
        return true;
      }
      if (!isMessage(message, SCRAPE)) return false;
      const reply = (answer: { text: string } | { error: string }) => {
        if (worker.isConnected())
          worker.send({ type: TEXT, id: message.id, ...answer }, () => undefined);
      };
      text().then(
        (body) => {
          reply({ text: body });
        },
        (error: unknown) => {
          reply({ error: String(error) });
        },
      );
      return true;
    },
    forget(worker) {
      gone.add(worker.id);
      const last = latest.get(worker.id);
      latest.delete(worker.id);
      if (!last) return;
      const kept = cumulative(last);
      retired = retired.then((carried) =>
        AggregatorRegistry.aggregate([carried, kept]).getMetricsAsJSON(),
      );
    },
  };
}

/** In a web worker: answers the primary's requests for this process's metrics. */
export function answerPrimary(snapshot: () => Promise<MetricsSnapshot>): void {
  process.on('message', (message: unknown) => {
    if (!isMessage(message, COLLECT)) return;
    snapshot().then(
      (metrics) => {
        process.send?.(
          { type: SNAPSHOT, id: message.id, metrics: encode(metrics) },
          undefined,
          {},
          () => undefined,
        );
      },
      () => undefined,
    );
  });
}

let nextScrape = 0;

/** In a web worker: the whole server's metrics, asked of the primary (/metrics on the public port). */
export function scrapeThroughPrimary(): Promise<string> {
  const id = nextScrape++;
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    const onMessage = (message: unknown) => {
      if (!isMessage(message, TEXT) || message.id !== id) return;
      done();
      const answer = message as Message & { readonly text?: string; readonly error?: string };
      if (answer.text === undefined) reject(new Error(answer.error ?? 'no metrics'));
      else resolve(answer.text);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('the serve primary did not answer with the metrics in time'));
    }, SCRAPE_TIMEOUT_MS);
    process.on('message', onMessage);
    if (!process.send?.({ type: SCRAPE, id } satisfies Message)) {
      done();
      reject(new Error('no serve primary to ask for the metrics'));
    }
  });
}
