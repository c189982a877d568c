/**
 * The yardstick for `npm run bench`: a bare Fastify server answering the same route shape as
 * Hoplink's redirect from a Map (302 + Location, nothing else: no logging, headers, clicks).
 * Prints `listening on <url>` once bound; the code to answer comes from BENCH_CODE.
 * BENCH_HEADERS (a JSON object) adds those headers to every answer, in one call: the same bytes
 * as Hoplink's response, to tell the cost of the headers from the cost of Hoplink's own work.
 */
import Fastify from 'fastify';

const code = process.env.BENCH_CODE ?? 'bench';
const target = process.env.BENCH_TARGET ?? 'https://example.com/landing';
const links = new Map([[code, target]]);
const headers = JSON.parse(process.env.BENCH_HEADERS ?? '{}') as Record<string, string>;

const app = Fastify({ logger: false });
app.get<{ Params: { code: string } }>('/:code', (request, reply) => {
  const location = links.get(request.params.code);
  if (location === undefined) return reply.code(404).send();
  return reply.code(302).headers(headers).header('location', location).send();
});

const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`listening on ${url}\n`);
const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
