export { CODE_ALPHABET, CODE_LENGTH, generateCode } from './codes.ts';
export { LinkConflictError, LinkLookupUnavailableError } from './errors.ts';
export {
  createLinkChanges,
  type LinkAddresses,
  type LinkChange,
  type LinkChangeChannel,
  type LinkChangeListener,
  type LinkChanges,
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
export { createLinksRepository, type LinksRepository } from './links.repository.ts';
export {
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  createLinksService,
  type Link,
  type LinkPage,
  type LinkPatch,
  type LinksService,
  type LinksServiceDependencies,
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
