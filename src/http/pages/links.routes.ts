import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { signedInUser } from '#src/http/plugins/require-user.ts';
import type { StatsService } from '#src/modules/analytics/index.ts';
import {
  shortUrl,
  slugUrl,
  type Link,
  type LinkPatch,
  type LinksService,
  type RedirectStatus,
} from '#src/modules/links/index.ts';
import { field, formPage, type FormState } from './form-page.ts';
import { sendPage } from './render.ts';
import {
  dateTimeValue,
  deleteLinkPage,
  editLinkPage,
  linkName,
  linksListPage,
  newLinkPage,
  type LinkView,
} from './views/links.ts';
import { statsPage } from './views/stats.ts';
import type { ZodTypeProvider } from './zod-validation.ts';

export interface LinksRoutesOptions {
  readonly links: LinksService;
  readonly stats: Pick<StatsService, 'stats' | 'clickCounts'>;
  /** Short URLs are always built on SITE_URL, never on the request's Host. */
  readonly siteUrl: string;
  readonly defaultRedirectStatus: RedirectStatus;
  readonly now?: () => Date;
}

const LinkForm = z.object({
  url: field.text(),
  code: field.text(),
  slug: field.text(),
  title: field.text(),
  // The home page's short form has no status field: absent means REDIRECT_STATUS.
  redirectStatus: field.optionalText(),
  expiresAt: field.text(),
  disabled: field.checkbox(),
});
type LinkForm = z.output<typeof LinkForm>;

// No uuid format: a malformed id is a 404 like another owner's link (the service decides), not a 400.
const IdParams = z.object({ id: z.string() });

const ListQuery = z.object({
  q: z.string().max(200, 'Search for at most 200 characters.').default(''),
  cursor: z.string().max(200, 'This page link is not valid.').optional(),
  // The cursors of the pages before this one, comma-separated, so "Newer" can step back.
  trail: z.string().max(8192, 'This page link is not valid.').default(''),
});

/** datetime-local sends `YYYY-MM-DDTHH:MM` without a zone; the form says UTC, so read it so. */
function expiryInput(text: string): string {
  const value = text.trim();
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
}

/** The edit form as a patch of `current`. */
function linkPatch({ expiresAt, ...fields }: LinkForm, current: Link): LinkPatch {
  // An expiry left as it was is not re-validated (it may lie in the past by now).
  const unchanged = expiresAt === dateTimeValue(current.expiresAt);
  return unchanged ? fields : { ...fields, expiresAt: expiryInput(expiresAt) };
}

function listHref(q: string, cursor: string | null, trail: readonly string[]): string {
  const params = new URLSearchParams();
  if (q !== '') params.set('q', q);
  if (cursor !== null) params.set('cursor', cursor);
  if (trail.length > 0) params.set('trail', trail.join(','));
  const query = params.toString();
  return query === '' ? '/links' : `/links?${query}`;
}

/**
 * The link pages: list, create, the stats page, edit, enable/disable and delete. Every route
 * needs a signed-in user and reaches links only through the owner's id, so another user's
 * link is a 404 everywhere, exactly like one that does not exist.
 */
export const linksRoutes: FastifyPluginCallback<LinksRoutesOptions> = (instance, options, done) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const { links, stats, siteUrl } = options;
  const now = options.now ?? (() => new Date());

  const viewOf = (link: Link, username: string): LinkView => ({
    link,
    shortUrl: shortUrl(siteUrl, link.code),
    slugUrl: link.slug === null ? null : slugUrl(siteUrl, username, link.slug),
  });

  const newPage = (request: FastifyRequest, { values, errors }: FormState<LinkForm>) => ({
    title: 'New link',
    body: newLinkPage({
      csrfToken: request.csrfToken(),
      username: signedInUser(request).username,
      siteUrl,
      values: {
        ...values,
        redirectStatus: values.redirectStatus ?? String(options.defaultRedirectStatus),
      },
      errors,
    }),
  });

  /** The edit form: the link as stored, or what was sent and what is wrong with it. */
  const editPage = (request: FastifyRequest, link: Link, state?: FormState<LinkForm>) => ({
    title: `Edit ${linkName(link)}`,
    body: editLinkPage({
      csrfToken: request.csrfToken(),
      username: signedInUser(request).username,
      siteUrl,
      view: viewOf(link, signedInUser(request).username),
      ...state,
    }),
  });

  app.get('/links', { schema: { querystring: ListQuery } }, async (request, reply) => {
    const user = signedInUser(request);
    const q = request.query.q.trim();
    const cursor = request.query.cursor ?? null;
    const trail = request.query.trail.split(',').filter((part) => part !== '');
    const page = await links.list(user.id, { q, cursor });
    const counts = await stats.clickCounts(
      user.id,
      page.items.map((link) => link.id),
    );
    // Newer: the previous cursor in the trail, or the first page (no cursor).
    const newerHref =
      cursor === null ? null : listHref(q, trail.at(-1) ?? null, trail.slice(0, -1));
    const olderHref =
      page.nextCursor === null
        ? null
        : listHref(q, page.nextCursor, cursor === null ? [] : [...trail, cursor]);
    return sendPage(request, reply, {
      title: 'Your links',
      body: linksListPage({
        rows: page.items.map((link) => ({
          ...viewOf(link, user.username),
          clicks: counts.get(link.id) ?? 0,
        })),
        q,
        newerHref,
        olderHref,
        firstPage: cursor === null,
        now: now(),
      }),
    });
  });

  app.get('/links/new', (request, reply) =>
    sendPage(request, reply, newPage(request, { values: {}, errors: [] })),
  );

  app.post(
    '/links',
    formPage({
      body: LinkForm,
      submit: ({ url, code, slug, title, redirectStatus, expiresAt }, request) =>
        links.create(signedInUser(request).id, {
          url,
          code,
          slug,
          title,
          redirectStatus,
          expiresAt: expiryInput(expiresAt),
        }),
      success: (link, reply) => {
        reply.flash('success', `Short link created: ${shortUrl(siteUrl, link.code)}`);
        return reply.redirect(`/links/${link.id}`, 303);
      },
      render: newPage,
    }),
  );

  app.get('/links/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const user = signedInUser(request);
    const linkStats = await stats.stats(user.id, request.params.id);
    const link = await links.get(user.id, request.params.id);
    return sendPage(request, reply, {
      title: `${linkName(link)}: statistics`,
      body: statsPage({
        csrfToken: request.csrfToken(),
        view: viewOf(link, user.username),
        stats: linkStats,
        now: now(),
      }),
    });
  });

  app.get('/links/:id/edit', { schema: { params: IdParams } }, async (request, reply) =>
    sendPage(
      request,
      reply,
      editPage(request, await links.get(signedInUser(request).id, request.params.id)),
    ),
  );

  app.post(
    '/links/:id/edit',
    formPage({
      body: LinkForm,
      params: IdParams,
      submit: async (form, request) => {
        const owner = signedInUser(request).id;
        // Read first: a 404 for another owner's link must win over any validation message.
        const current = await links.get(owner, request.params.id);
        return links.update(owner, current.id, linkPatch(form, current));
      },
      success: (link, reply) => {
        reply.flash('success', `Saved changes to ${linkName(link)}.`);
        return reply.redirect(`/links/${link.id}`, 303);
      },
      render: async (request, state) =>
        editPage(request, await links.get(signedInUser(request).id, request.params.id), state),
    }),
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(`/links/:id/${action}`, { schema: { params: IdParams } }, async (request, reply) => {
      const link = await links.update(signedInUser(request).id, request.params.id, { disabled });
      reply.flash(
        'success',
        disabled
          ? `${linkName(link)} is disabled: its short URL now answers “not found”.`
          : `${linkName(link)} is enabled again.`,
      );
      return reply.redirect(`/links/${link.id}`, 303);
    });
  }

  app.get('/links/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const user = signedInUser(request);
    const link = await links.get(user.id, request.params.id);
    const counts = await stats.clickCounts(user.id, [link.id]);
    return sendPage(request, reply, {
      title: `Delete ${linkName(link)}`,
      body: deleteLinkPage({
        csrfToken: request.csrfToken(),
        view: viewOf(link, user.username),
        totalClicks: counts.get(link.id) ?? 0,
      }),
    });
  });

  app.post('/links/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const user = signedInUser(request);
    const link = await links.get(user.id, request.params.id);
    await links.remove(user.id, link.id);
    reply.flash('success', `Deleted ${linkName(link)} (${shortUrl(siteUrl, link.code)}).`);
    return reply.redirect('/links', 303);
  });

  done();
};
