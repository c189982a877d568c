import { Agent, request } from 'node:http';

export interface LoadResult {
  /** Responses by status code. */
  readonly statuses: ReadonlyMap<number, number>;
  /**
   * Requests sent on a kept-alive connection the server had already answered on, that got no
   * response (reset, hang-up): requests the server accepted and dropped.
   */
  readonly failed: number;
  /**
   * Requests on a fresh connection reset before any answer: the kernel (or the cluster primary)
   * had queued the connection and no worker ever accepted it, as when the last listener closes.
   */
  readonly resetBeforeAccepted: number;
  /** Requests whose connection was refused: the server had stopped accepting. */
  readonly refused: number;
  /** The failures' error codes, for the assertion message. */
  readonly failures: ReadonlyMap<string, number>;
}

export interface LoadOptions {
  readonly url: string;
  /** Requests to make in all (fewer when `stopOnRefused` ends the run early). */
  readonly total: number;
  readonly connections?: number;
  readonly userAgents?: readonly string[];
  /** Called after each response with the number answered so far. */
  readonly onResponse?: (answered: number) => void;
  /** Ends the run once connections are refused (the server is shutting down). */
  readonly stopOnRefused?: boolean;
}

/** Sends GET requests over keep-alive connections, `connections` at a time. */
export async function httpLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections ?? 50 });
  const statuses = new Map<number, number>();
  const userAgents = options.userAgents ?? ['hoplink-load/1.0'];
  let started = 0;
  let answered = 0;
  let failed = 0;
  let refused = 0;
  const failures = new Map<string, number>();
  let resetBeforeAccepted = 0;
  const one = (index: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        options.url,
        { agent, headers: { 'user-agent': userAgents[index % userAgents.length] ?? '' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            answered += 1;
            statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
            options.onResponse?.(answered);
            resolve();
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ECONNREFUSED') refused += 1;
        else if (!req.reusedSocket && error.code === 'ECONNRESET') resetBeforeAccepted += 1;
        else {
          failed += 1;
          const code = error.code ?? error.message;
          failures.set(code, (failures.get(code) ?? 0) + 1);
        }
        resolve();
      });
      req.end();
    });
  const lane = async () => {
    while (started < options.total && !(options.stopOnRefused && refused > 0)) {
      started += 1;
      await one(started);
    }
  };
  await Promise.all(Array.from({ length: options.connections ?? 50 }, lane));
  agent.destroy();
  return { statuses, failed, resetBeforeAccepted, refused, failures };
}
