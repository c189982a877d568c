import { randomUUID } from 'node:crypto';
/** The public addresses a write may have changed: what the redirect cache must forget. */
export interface LinkAddresses {
  readonly codes: readonly string[];
  readonly slugs: readonly { readonly username: string; readonly slug: string }[];
}

/** Addresses that changed, or 'all' when changes may have been missed (treat everything as stale). */
export type LinkChange = LinkAddresses | 'all';

export type LinkChangeListener = (change: LinkChange) => void;

/**
 * Tells whoever caches links (every process's redirect cache) that addresses changed. The
 * container connects it to a broadcast (Redis) so that every process hears every change.
 */
export interface LinkChanges {
  publish(addresses: LinkAddresses): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: LinkChangeListener): () => void;
}

/**
 * How changes reach the other processes: a pub/sub channel (Redis in production). Delivery is
 * at most once; `onResync` says messages may have been lost.
 */
export interface LinkChangeChannel {
  publish(message: string): void;
  subscribe(onMessage: (message: string) => void, onResync: () => void): () => void;
}

export interface LinkChangesOptions {
  /** A listener threw; the change itself has happened. */
  readonly onListenerError?: (error: unknown) => void;
  /** Without one, changes stay in this process (development, tests). */
  readonly channel?: LinkChangeChannel;
}

interface ChangeMessage {
  readonly origin: string;
  readonly codes: readonly string[];
  readonly slugs: readonly { readonly username: string; readonly slug: string }[];
}

function parseMessage(text: string): ChangeMessage | null {
  try {
    const value = JSON.parse(text) as Partial<ChangeMessage> | null;
    const strings = (list: unknown): list is string[] =>
      Array.isArray(list) && list.every((item) => typeof item === 'string');
    const slugs = (list: unknown): list is ChangeMessage['slugs'] =>
      Array.isArray(list) &&
      list.every(
        (item: { username?: unknown; slug?: unknown } | null) =>
          typeof item?.username === 'string' && typeof item.slug === 'string',
      );
    if (value && typeof value.origin === 'string' && strings(value.codes) && slugs(value.slugs)) {
      return { origin: value.origin, codes: value.codes, slugs: value.slugs };
    }
  } catch {
    // Not ours: ignored below.
  }
  return null;
}

export function createLinkChanges(options: LinkChangesOptions = {}): LinkChanges {
  const listeners = new Set<LinkChangeListener>();
  // Tells this process's own messages apart when the channel echoes them back.
  const origin = randomUUID();
  let listening = false;

  function emit(change: LinkChange): void {
    for (const listener of listeners) {
      // The write has happened; a failing listener must not turn it into an error.
      try {
        listener(change);
      } catch (error) {
        options.onListenerError?.(error);
      }
    }
  }

  function listen(channel: LinkChangeChannel): void {
    listening = true;
    channel.subscribe(
      (text) => {
        const message = parseMessage(text);
        if (!message) {
          options.onListenerError?.(new Error('a link change message was not understood'));
          return;
        }
        if (message.origin !== origin) emit({ codes: message.codes, slugs: message.slugs });
      },
      () => {
        emit('all');
      },
    );
  }

  return {
    publish: (addresses) => {
      emit(addresses);
      options.channel?.publish(
        JSON.stringify({ origin, codes: addresses.codes, slugs: addresses.slugs }),
      );
    },
    subscribe: (listener) => {
      listeners.add(listener);
      // The first listener opens the channel: a process that caches no link never listens.
      if (options.channel && !listening) listen(options.channel);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
