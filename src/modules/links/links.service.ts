import { NotFoundError, ValidationError } from '#src/lib/errors.ts';
import { generateCode as randomCode } from './codes.ts';
import { LinkConflictError } from './errors.ts';
import type { LinkAddresses, LinkChanges } from './link-changes.ts';
import {
  checkAlias,
  checkExpiresAt,
  checkRedirectStatus,
  checkSlug,
  checkTargetUrl,
  checkTitle,
  isCodeShape,
  isReservedWord,
  isSlugPathShape,
  ownHostNames,
  type Checked,
  type FieldIssue,
  type RedirectStatus,
} from './link-rules.ts';
import { decodeCursor, encodeCursor, isUuid } from './list-cursor.ts';
import type {
  LinkChangesRow,
  LinkPosition,
  LinkRow,
  LinksRepository,
  RedirectRow,
} from './links.repository.ts';

export interface Link {
  readonly id: string;
  readonly ownerId: string;
  readonly code: string;
  readonly slug: string | null;
  readonly targetUrl: string;
  readonly title: string | null;
  readonly redirectStatus: RedirectStatus;
  readonly disabled: boolean;
  readonly expiresAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * A new link. Blank optional text counts as absent (HTML forms send ""); `redirectStatus` may be
 * text for the same reason; `expiresAt` is a Date or ISO 8601 text in the future.
 */
export interface NewLinkInput {
  readonly url: string;
  /** A custom alias; a 7-character code is generated when absent. */
  readonly code?: string | null;
  readonly slug?: string | null;
  readonly title?: string | null;
  /** Defaults to REDIRECT_STATUS. */
  readonly redirectStatus?: number | string | null;
  readonly expiresAt?: Date | string | null;
}

/**
 * Changes to a link; absent (undefined) fields stay as they are. Null or "" clears `slug`,
 * `title` and `expiresAt`; a blank `code` keeps the current code.
 */
export interface LinkPatch extends Partial<NewLinkInput> {
  readonly disabled?: boolean;
}

export interface ListOptions {
  /** Case-insensitive text searched in title, code and target URL. */
  readonly q?: string | null;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | null;
  /** 1 to 100; 20 when absent. */
  readonly limit?: number | null;
}

export interface LinkPage {
  readonly items: readonly Link[];
  readonly nextCursor: string | null;
}

/** A live link as the redirect needs it. */
export interface RedirectTarget {
  readonly linkId: string;
  readonly targetUrl: string;
  readonly redirectStatus: RedirectStatus;
  readonly expiresAt: Date | null;
}

export interface LinksServiceDependencies {
  readonly repository: Pick<
    LinksRepository,
    | 'insert'
    | 'update'
    | 'delete'
    | 'findOwned'
    | 'list'
    | 'findRedirectByCode'
    | 'findRedirectBySlug'
    | 'usernameOf'
  >;
  /** SITE_URL and ALLOWED_HOSTS name this service's own hosts (links to them would loop). */
  readonly siteUrl: string;
  readonly allowedHosts: readonly string[];
  readonly defaultRedirectStatus: RedirectStatus;
  /** First path segments the configuration takes (ADMIN_PATH's), refused like the reserved words. */
  readonly reservedWords?: readonly string[];
  /** Told after every write, so the redirect cache forgets what changed. */
  readonly changes?: Pick<LinkChanges, 'publish'>;
  /**
   * Asked before a link is created: rejects while the owner may not create links (an address
   * not yet confirmed, decision 0027); its error is the answer the caller gets.
   */
  readonly creationGuard?: (ownerId: string) => Promise<void>;
  readonly now?: () => Date;
  readonly generateCode?: () => string;
}

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;
/** Rows per query when every link of an owner is read (an export, an account's deletion). */
export const ALL_LINKS_PAGE_SIZE = 1000;
const SEARCH_MAX_LENGTH = 200;
// 62^7 codes make one collision rare and five in a row a sign of something else entirely.
const CODE_ATTEMPTS = 5;

const CODE_TAKEN: FieldIssue = { field: 'code', message: 'This alias is already taken.' };
const SLUG_TAKEN: FieldIssue = {
  field: 'slug',
  message: 'You already use this slug for another link.',
};

function toLink(row: LinkRow): Link {
  return { ...row, redirectStatus: row.redirectStatus as RedirectStatus };
}

function blank(value: string | null | undefined): boolean {
  return value === null || value === undefined || value.trim() === '';
}

/** Collects every field's problem so one response lists them all. */
class Issues {
  readonly list: FieldIssue[] = [];

  take<T>(field: string, checked: Checked<T>): T | undefined {
    if (checked.ok) return checked.value;
    this.list.push({ field, message: checked.message });
    return undefined;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError('Some fields are not valid.', this.list);
  }
}

export function createLinksService(deps: LinksServiceDependencies) {
  const { repository } = deps;
  const ownHosts = ownHostNames(deps.siteUrl, deps.allowedHosts);
  const now = deps.now ?? (() => new Date());
  const generateCode = deps.generateCode ?? (() => randomCode());
  const reserved: ReadonlySet<string> = new Set(
    (deps.reservedWords ?? []).map((word) => word.toLowerCase()),
  );

  async function owned(ownerId: string, id: string): Promise<LinkRow> {
    const row = isUuid(id) ? await repository.findOwned(ownerId, id) : null;
    // Another owner's link is reported exactly like a missing one: ids reveal nothing.
    if (!row) throw new NotFoundError('There is no such link.');
    return row;
  }

  /** The codes and /<username>/<slug> paths of `links`, all of one owner's. */
  async function addressesOf(
    ownerId: string,
    links: readonly Pick<LinkRow, 'code' | 'slug'>[],
  ): Promise<LinkAddresses> {
    const slugs = links.flatMap((link) => (link.slug === null ? [] : [link.slug]));
    const username = slugs.length > 0 ? await repository.usernameOf(ownerId) : null;
    return {
      codes: [...new Set(links.map((link) => link.code))],
      slugs: username === null ? [] : [...new Set(slugs)].map((slug) => ({ username, slug })),
    };
  }

  async function announce(ownerId: string, links: readonly LinkRow[]): Promise<void> {
    if (!deps.changes) return;
    deps.changes.publish(await addressesOf(ownerId, links));
  }

  /** Every link of the owner, newest first, one keyset page (one query) at a time. */
  async function* pagesOf(ownerId: string, pageSize: number): AsyncGenerator<readonly LinkRow[]> {
    let after: LinkPosition | null = null;
    for (;;) {
      const rows = await repository.list(ownerId, { search: null, after, limit: pageSize });
      if (rows.length > 0) yield rows.map((row) => row.link);
      const last = rows.at(-1);
      if (rows.length < pageSize || last === undefined) return;
      after = last.position;
    }
  }

  function live(row: RedirectRow | null): RedirectTarget | null {
    if (!row) return null;
    if (row.expiresAt !== null && row.expiresAt.getTime() <= now().getTime()) return null;
    return { ...row, redirectStatus: row.redirectStatus as RedirectStatus };
  }

  return {
    /**
     * Throws ValidationError (400) for bad fields, LinkConflictError (409) for a taken alias/slug,
     * and whatever `creationGuard` throws (403 for an unconfirmed address).
     */
    async create(ownerId: string, input: NewLinkInput): Promise<Link> {
      await deps.creationGuard?.(ownerId);
      const issues = new Issues();
      const targetUrl = issues.take('url', checkTargetUrl(input.url, ownHosts));
      const alias = blank(input.code)
        ? null
        : issues.take('code', checkAlias(input.code ?? '', reserved));
      const slug = blank(input.slug) ? null : issues.take('slug', checkSlug(input.slug ?? ''));
      const title = issues.take('title', checkTitle(input.title ?? ''));
      const redirectStatus =
        input.redirectStatus === null || input.redirectStatus === undefined
          ? deps.defaultRedirectStatus
          : issues.take('redirectStatus', checkRedirectStatus(input.redirectStatus));
      const expiresAt =
        input.expiresAt === null || input.expiresAt === undefined || input.expiresAt === ''
          ? null
          : issues.take('expiresAt', checkExpiresAt(input.expiresAt, now()));
      issues.throwIfAny();
      if (targetUrl === undefined || redirectStatus === undefined || title === undefined) {
        throw new Error('validated fields missing');
      }

      const values = {
        slug: slug ?? null,
        targetUrl,
        title,
        redirectStatus,
        expiresAt: expiresAt ?? null,
      };
      for (let attempt = 1; ; attempt += 1) {
        let code = alias ?? generateCode();
        // Generated codes are base62 and could, in theory, spell a reserved word.
        while (alias === null && isReservedWord(code, reserved)) code = generateCode();
        const result = await repository.insert(ownerId, { ...values, code });
        if (result.ok) {
          await announce(ownerId, [result.link]);
          return toLink(result.link);
        }
        if (result.conflict === 'slug') throw new LinkConflictError([SLUG_TAKEN]);
        if (alias !== null) throw new LinkConflictError([CODE_TAKEN]);
        if (attempt >= CODE_ATTEMPTS) {
          throw new Error(`no free code after ${CODE_ATTEMPTS} attempts`);
        }
      }
    },

    /** Same errors as create; NotFoundError when the owner has no such link. */
    async update(ownerId: string, id: string, patch: LinkPatch): Promise<Link> {
      const current = await owned(ownerId, id);
      const issues = new Issues();
      const changes: { -readonly [K in keyof LinkChangesRow]: LinkChangesRow[K] } = {};
      if (patch.url !== undefined) {
        changes.targetUrl = issues.take('url', checkTargetUrl(patch.url, ownHosts));
      }
      if (!blank(patch.code) && patch.code?.trim() !== current.code) {
        changes.code = issues.take('code', checkAlias(patch.code ?? '', reserved));
      }
      if (patch.slug !== undefined) {
        changes.slug = blank(patch.slug) ? null : issues.take('slug', checkSlug(patch.slug ?? ''));
      }
      if (patch.title !== undefined)
        changes.title = issues.take('title', checkTitle(patch.title ?? ''));
      if (patch.redirectStatus !== undefined && patch.redirectStatus !== null) {
        changes.redirectStatus = issues.take(
          'redirectStatus',
          checkRedirectStatus(patch.redirectStatus),
        );
      }
      if (patch.expiresAt !== undefined) {
        changes.expiresAt =
          patch.expiresAt === null || patch.expiresAt === ''
            ? null
            : issues.take('expiresAt', checkExpiresAt(patch.expiresAt, now()));
      }
      if (patch.disabled !== undefined) {
        if (typeof patch.disabled === 'boolean') changes.disabled = patch.disabled;
        else issues.list.push({ field: 'disabled', message: 'Disabled must be true or false.' });
      }
      issues.throwIfAny();

      const result = await repository.update(ownerId, current.id, changes);
      if (!result) throw new NotFoundError('There is no such link.');
      if (!result.ok)
        throw new LinkConflictError([result.conflict === 'code' ? CODE_TAKEN : SLUG_TAKEN]);
      await announce(ownerId, [current, result.link]);
      return toLink(result.link);
    },

    /** Deletes the link and its clicks; NotFoundError when the owner has no such link. */
    async remove(ownerId: string, id: string): Promise<void> {
      const removed = isUuid(id) ? await repository.delete(ownerId, id) : null;
      if (!removed) throw new NotFoundError('There is no such link.');
      await announce(ownerId, [removed]);
    },

    async get(ownerId: string, id: string): Promise<Link> {
      return toLink(await owned(ownerId, id));
    },

    /** Throws ValidationError for a limit out of range or a cursor this service did not make. */
    async list(ownerId: string, options: ListOptions = {}): Promise<LinkPage> {
      const limit = options.limit ?? LIST_DEFAULT_LIMIT;
      const issues = new Issues();
      if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX_LIMIT) {
        issues.list.push({
          field: 'limit',
          message: `The limit must be a whole number from 1 to ${LIST_MAX_LIMIT}.`,
        });
      }
      const after = blank(options.cursor) ? null : decodeCursor(options.cursor ?? '');
      if (!blank(options.cursor) && after === null) {
        issues.list.push({
          field: 'cursor',
          message: 'The cursor is not valid; start again from the first page.',
        });
      }
      issues.throwIfAny();
      const search = blank(options.q) ? null : (options.q ?? '').trim().slice(0, SEARCH_MAX_LENGTH);
      // One extra row tells whether another page follows.
      const rows = await repository.list(ownerId, { search, after, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((row) => toLink(row.link)),
        nextCursor: rows.length > limit && last ? encodeCursor(last.position) : null,
      };
    },

    /**
     * Every link of the owner, newest first, in pages of `pageSize` read one after the other
     * (keyset on created_at and id), so a reader holds one page at a time however many there
     * are. Stopping the iteration stops the reading.
     */
    async *allOf(ownerId: string, pageSize = ALL_LINKS_PAGE_SIZE): AsyncGenerator<readonly Link[]> {
      for await (const rows of pagesOf(ownerId, pageSize)) yield rows.map(toLink);
    },

    /**
     * Every public address of the owner's links (codes and /<username>/<slug> paths): what the
     * redirect caches must forget when the links go without passing through this service, as
     * when their owner's account is deleted. Read before they go.
     */
    async addressesOfAll(ownerId: string): Promise<LinkAddresses> {
      const links: Pick<LinkRow, 'code' | 'slug'>[] = [];
      for await (const rows of pagesOf(ownerId, ALL_LINKS_PAGE_SIZE)) {
        for (const { code, slug } of rows) links.push({ code, slug });
      }
      return addressesOf(ownerId, links);
    },

    /** The live (enabled, unexpired, active owner) link at /<code>, or null. */
    async resolve(code: string): Promise<RedirectTarget | null> {
      if (!isCodeShape(code)) return null;
      return live(await repository.findRedirectByCode(code));
    },

    /** The live link at /<username>/<slug>, or null; both parts match case-insensitively. */
    async resolveSlug(username: string, slug: string): Promise<RedirectTarget | null> {
      if (!isSlugPathShape(username, slug)) return null;
      return live(await repository.findRedirectBySlug(username.toLowerCase(), slug.toLowerCase()));
    },
  };
}

export type LinksService = ReturnType<typeof createLinksService>;
