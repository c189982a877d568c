import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One item of an envelope: its header (`type`: event, transaction…) and its parsed payload. */
export interface EnvelopeItem {
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

/** One POST to the envelope endpoint, as received (decompressed) and parsed. */
export interface Envelope {
  readonly path: string;
  readonly raw: string;
  readonly header: Record<string, unknown>;
  readonly items: readonly EnvelopeItem[];
}

/**
 * Sentry's ingestion endpoint as a local server (the network edge): it records every envelope
 * an SDK sends to `http://<key>@127.0.0.1:<port>/<project>` and answers as Sentry does.
 */
export async function startSentryStandIn() {
  const envelopes: Envelope[] = [];
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const raw = request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      envelopes.push(parseEnvelope(request.url ?? '', raw));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://publickey@127.0.0.1:${port}/1`,
    envelopes,
    /** The items of every envelope received so far, of one type (`event`, `transaction`). */
    items(type: string): Record<string, unknown>[] {
      return envelopes.flatMap((envelope) =>
        envelope.items.filter((item) => item.type === type).map((item) => item.payload),
      );
    },
    /** Everything received, as one string: for asserting what must never have been sent. */
    rawText(): string {
      return envelopes.map((envelope) => envelope.raw).join('\n');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An envelope: a header line, then per item a header line and a payload (sized, or a line). */
export function parseEnvelope(path: string, body: Buffer): Envelope {
  let offset = 0;
  const line = (): Buffer => {
    const end = body.indexOf(0x0a, offset);
    const slice = body.subarray(offset, end < 0 ? body.length : end);
    offset = end < 0 ? body.length : end + 1;
    return slice;
  };
  const header = JSON.parse(line().toString('utf8')) as Record<string, unknown>;
  const items: EnvelopeItem[] = [];
  while (offset < body.length) {
    const itemLine = line().toString('utf8');
    if (itemLine.trim() === '') continue;
    const itemHeader = JSON.parse(itemLine) as { type?: unknown; length?: unknown };
    let payload: Buffer;
    if (typeof itemHeader.length === 'number') {
      payload = body.subarray(offset, offset + itemHeader.length);
      offset += itemHeader.length;
      if (body[offset] === 0x0a) offset += 1;
    } else {
      payload = line();
    }
    items.push({
      type: String(itemHeader.type),
      payload: JSON.parse(payload.toString('utf8')) as Record<string, unknown>,
    });
  }
  return { path, raw: body.toString('utf8'), header, items };
}
