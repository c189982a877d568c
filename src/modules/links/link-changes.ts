/** The public addresses a write may have changed: what the redirect cache must forget. */
export interface LinkAddresses {
  readonly codes: readonly string[];
  readonly slugs: readonly { readonly username: string; readonly slug: string }[];
}

export type LinkChangeListener = (addresses: LinkAddresses) => void;

/**
 * Tells whoever caches links (the redirect cache of this process) that addresses changed. One
 * process only: a later issue can subscribe to broadcast the changes to the other processes.
 */
export interface LinkChanges {
  publish(addresses: LinkAddresses): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: LinkChangeListener): () => void;
}

export function createLinkChanges(onListenerError?: (error: unknown) => void): LinkChanges {
  const listeners = new Set<LinkChangeListener>();
  return {
    publish: (addresses) => {
      for (const listener of listeners) {
        // The write has happened; a failing listener must not turn it into an error.
        try {
          listener(addresses);
        } catch (error) {
          onListenerError?.(error);
        }
      }
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
