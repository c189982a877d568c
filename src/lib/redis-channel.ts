import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export interface RedisChannelOptions {
  /** REDIS_URL (revealed only here, never logged). */
  readonly url: string;
  /** The channel's full name, e.g. `<QUEUE_PREFIX>:link-changes`. */
  readonly channel: string;
  readonly logger: Pick<Logger, 'warn' | 'info'>;
}

export interface RedisChannel {
  /** Sends to every subscriber of every process (this one included); never throws. */
  publish(message: string): void;
  /**
   * Receives every message. `onResync` runs each time the subscription is re-established after
   * a lost connection: messages sent meanwhile are gone, so whoever caches must start afresh.
   * Returns the unsubscribe function.
   */
  subscribe(onMessage: (message: string) => void, onResync: () => void): () => void;
  readonly close: () => Promise<void>;
}

/**
 * Redis pub/sub for one channel: at-most-once delivery to the processes listening now, which is
 * what cache invalidation needs (a TTL covers what is lost, and a reconnect says so). Both
 * connections open on first use, so a process that never publishes or listens opens none.
 */
export function createRedisChannel(options: RedisChannelOptions): RedisChannel {
  const connect = () =>
    new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: 2_000,
      // A publish during an outage is dropped, not queued: the receivers' TTL is the safety net.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      autoResubscribe: false,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
  let publisher: Redis | null = null;
  let subscriber: Redis | null = null;
  const listeners = new Set<{ onMessage: (message: string) => void; onResync: () => void }>();
  let publishFailing = false;
  // Publishes under way: a process that changes a link and stops at once (a CLI command) must
  // still tell the others.
  const inFlight = new Set<Promise<unknown>>();

  function ensureSubscriber(): void {
    if (subscriber) return;
    const connection = connect();
    subscriber = connection;
    let lost = false;
    connection.on('message', (_channel: string, message: string) => {
      for (const listener of listeners) listener.onMessage(message);
    });
    connection.on('error', () => {
      // Reported once per outage (close, below); ioredis reconnects on its own.
    });
    connection.on('close', () => {
      if (!lost) {
        lost = true;
        options.logger.warn(
          { channel: options.channel },
          'broadcast subscription lost: changes made elsewhere wait for the cache TTL',
        );
      }
    });
    // Subscribed anew on every connection (autoResubscribe is off, so a first connection that
    // failed is no special case). Whatever was sent before now is unknown: listeners resync.
    connection.on('ready', () => {
      connection.subscribe(options.channel).then(
        () => {
          if (lost) {
            lost = false;
            options.logger.info({ channel: options.channel }, 'broadcast subscription restored');
          }
          for (const listener of listeners) listener.onResync();
        },
        () => {
          // The connection dropped again; the next `ready` subscribes.
        },
      );
    });
    connection.connect().catch(() => {
      // retryStrategy keeps trying; `ready` subscribes when it works.
    });
  }

  return {
    publish(message) {
      publisher ??= connect();
      const connection = publisher;
      const send = () => connection.publish(options.channel, message);
      const sent = connection.status === 'wait' ? connection.connect().then(send) : send();
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent)).catch(() => undefined);
      sent.then(
        () => {
          if (publishFailing) {
            publishFailing = false;
            options.logger.info({ channel: options.channel }, 'broadcast publishing again');
          }
        },
        () => {
          if (!publishFailing) {
            publishFailing = true;
            options.logger.warn(
              { channel: options.channel },
              'broadcast publish failed: other processes see this change after the cache TTL',
            );
          }
        },
      );
    },
    subscribe(onMessage, onResync) {
      const listener = { onMessage, onResync };
      listeners.add(listener);
      ensureSubscriber();
      return () => {
        listeners.delete(listener);
      };
    },
    close: async () => {
      await Promise.race([Promise.allSettled(inFlight), sleep(2_000, undefined, { ref: false })]);
      await Promise.all(
        [publisher, subscriber].map(async (connection) => {
          if (!connection) return;
          // quit() waits for a reply that never comes when Redis is gone.
          if (connection.status === 'ready') await connection.quit().catch(() => undefined);
          connection.disconnect();
        }),
      );
    },
  };
}
