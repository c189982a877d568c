import type { Database } from '#src/db/client.ts';
import { createLinkChanges, type LinkChangeChannel } from './link-changes.ts';
import type { RedirectStatus } from './link-rules.ts';
import { createLinksRepository } from './links.repository.ts';
import { createLinksService } from './links.service.ts';

export { CODE_ALPHABET, CODE_LENGTH, generateCode } from './codes.ts';
export { LinkConflictError, LinkLookupUnavailableError } from './errors.ts';
export type {
  LinkAddresses,
  LinkChange,
  LinkChangeChannel,
  LinkChangeListener,
  LinkChanges,
} from './link-changes.ts';
export {
  ALIAS_PATTERN,
  REDIRECT_STATUSES,
  RESERVED_WORDS,
  SLUG_PATTERN,
  TARGET_URL_MAX_LENGTH,
  TITLE_MAX_LENGTH,
  isReservedWord,
  type FieldIssue,
  type RedirectStatus,
} from './link-rules.ts';
export {
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  type Link,
  type LinkPage,
  type LinkPatch,
  type LinksService,
  type ListOptions,
  type NewLinkInput,
  type RedirectTarget,
} from './links.service.ts';
export {
  createRedirectCache,
  type RedirectCache,
  type RedirectCacheOptions,
} from './redirect-cache.ts';
export { shortUrl, slugUrl } from './short-url.ts';

export interface LinksModuleDependencies {
  /** The module builds its repository on it. */
  readonly db: Database;
  /** SITE_URL and ALLOWED_HOSTS name this service's own hosts (links to them would loop). */
  readonly siteUrl: string;
  readonly allowedHosts: readonly string[];
  /** REDIRECT_STATUS: a new link's status unless it names one. */
  readonly defaultRedirectStatus: RedirectStatus;
  /** First path segments the configuration takes (ADMIN_PATH's), refused like the reserved words. */
  readonly reservedWords?: readonly string[];
  /** Carries link changes to every process (Redis); without one they stay in this process. */
  readonly changeChannel?: LinkChangeChannel;
  /** A change listener threw; the change itself has happened. */
  readonly onListenerError?: (error: unknown) => void;
  /** Rejects while an owner may not create links (accounts' email confirmation, 0027). */
  readonly creationGuard?: (ownerId: string) => Promise<void>;
}

/**
 * The links module: the service on a repository it builds on `db`, and the changes its writes
 * announce (the redirect cache listens to them).
 */
export function createLinksModule(deps: LinksModuleDependencies) {
  const changes = createLinkChanges({
    ...(deps.onListenerError ? { onListenerError: deps.onListenerError } : {}),
    ...(deps.changeChannel ? { channel: deps.changeChannel } : {}),
  });
  const links = createLinksService({
    repository: createLinksRepository(deps.db),
    siteUrl: deps.siteUrl,
    allowedHosts: deps.allowedHosts,
    defaultRedirectStatus: deps.defaultRedirectStatus,
    ...(deps.reservedWords ? { reservedWords: deps.reservedWords } : {}),
    ...(deps.creationGuard ? { creationGuard: deps.creationGuard } : {}),
    changes,
  });
  return { links, changes };
}

export type LinksModule = ReturnType<typeof createLinksModule>;
