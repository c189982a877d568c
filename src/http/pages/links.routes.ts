import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
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
import { formFailure } from './form-errors.ts';
import { sendPage } from './render.ts';
import {
  dateTimeValue,
  deleteLinkPage,
  editLinkPage,
  linkName,
  linksListPage,
  newLinkPage,
  type LinkFormValues,
  type LinkView,
} from './views/links.ts';
import { statsPage } from './views/stats.ts';

export interface LinksRoutesOptions {
  readonly links: LinksService;
  readonly stats: Pick<StatsService, 'stats' | 'clickCounts'>;
  /** Short URLs are always built on SITE_URL, never on the request's Host. */
  readonly siteUrl: string;
  readonly defaultRedirectStatus: RedirectStatus;
  readonly now?: () => Date;
}

const FIELDS = ['url', 'code', 'slug', 'title', 'redirectStatus', 'expiresAt', 'disabled'] as const;
type LinkForm = Partial<Record<(typeof FIELDS)[number], string>>;

/** Every field an optional string: a missing or bad one is the service's to report, on its field. */
const linkBody = {
  type: 'object',
  properties: Object.fromEntries(
    FIELDS.map((field) => [field, { type: 'string', maxLength: 4096 }]),
  ),
} as const;

// No uuid format: a malformed id is a 404 like another owner's link (the service decides), not a 400.
const idParams = {
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
} as const;

const listQuery = {
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 200 },
    cursor: { type: 'string', maxLength: 200 },
    // The cursors of the pages before this one, comma-separated, so "Newer" can step back.
    trail: { type: 'string', maxLength: 8192 },
  },
} as const;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** datetime-local sends `YYYY-MM-DDTHH:MM` without a zone; the form says UTC, so read it so. */
function expiryInput(text: string | undefined): string {
  const value = (text ?? '').trim();
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
}

function formValues(body: LinkForm): LinkFormValues {
  return {
    url: body.url ?? '',
    code: body.code ?? '',
    slug: body.slug ?? '',
    title: body.title ?? '',
    redirectStatus: body.redirectStatus ?? '',
    expiresAt: body.expiresAt ?? '',
    disabled: body.disabled !== undefined,
  };
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
export const linksRoutes: FastifyPluginCallback<LinksRoutesOptions> = (app, options, done) => {
  const { links, stats, siteUrl } = options;
  const now = options.now ?? (() => new Date());

  const viewOf = (link: Link, username: string): LinkView => ({
    link,
    shortUrl: shortUrl(siteUrl, link.code),
    slugUrl: link.slug === null ? null : slugUrl(siteUrl, username, link.slug),
  });

  app.get<{ Querystring: { q?: string; cursor?: string; trail?: string } }>(
    '/links',
    { schema: { querystring: listQuery } },
    async (request, reply) => {
      const user = signedInUser(request);
      const q = (request.query.q ?? '').trim();
      const cursor = request.query.cursor ?? null;
      const trail = (request.query.trail ?? '').split(',').filter((part) => part !== '');
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
    },
  );

  app.get('/links/new', (request, reply) =>
    sendPage(request, reply, {
      title: 'New link',
      body: newLinkPage({
        csrfToken: request.csrfToken(),
        username: signedInUser(request).username,
        siteUrl,
        values: { redirectStatus: String(options.defaultRedirectStatus) },
      }),
    }),
  );

  app.post<{ Body: LinkForm }>('/links', { schema: { body: linkBody } }, async (request, reply) => {
    const user = signedInUser(request);
    const { body } = request;
    try {
      const link = await links.create(user.id, {
        url: body.url ?? '',
        code: body.code ?? null,
        slug: body.slug ?? null,
        title: body.title ?? null,
        // The home page's short form has no status field: the default applies.
        redirectStatus: body.redirectStatus ?? null,
        expiresAt: expiryInput(body.expiresAt),
      });
      reply.flash('success', `Short link created: ${shortUrl(siteUrl, link.code)}`);
      return await reply.redirect(`/links/${link.id}`, 303);
    } catch (error) {
      const failure = formFailure(error, reply);
      const values = formValues(body);
      return sendPage(
        request,
        reply,
        {
          title: 'New link',
          body: newLinkPage({
            csrfToken: request.csrfToken(),
            username: user.username,
            siteUrl,
            values: {
              ...values,
              redirectStatus: body.redirectStatus ?? String(options.defaultRedirectStatus),
            },
            errors: failure.errors,
          }),
        },
        failure.statusCode,
      );
    }
  });

  app.get('/links/:id', { schema: { params: idParams } }, async (request: IdRequest, reply) => {
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

  app.get(
    '/links/:id/edit',
    { schema: { params: idParams } },
    async (request: IdRequest, reply) => {
      const user = signedInUser(request);
      const link = await links.get(user.id, request.params.id);
      return sendPage(request, reply, {
        title: `Edit ${linkName(link)}`,
        body: editLinkPage({
          csrfToken: request.csrfToken(),
          username: user.username,
          siteUrl,
          view: viewOf(link, user.username),
        }),
      });
    },
  );

  app.post<{ Params: { id: string }; Body: LinkForm }>(
    '/links/:id/edit',
    { schema: { params: idParams, body: linkBody } },
    async (request, reply) => {
      const user = signedInUser(request);
      const { id } = request.params;
      const { body } = request;
      // Read first: a 404 for another owner's link must win over any validation message.
      const current = await links.get(user.id, id);
      const expiresAt = body.expiresAt ?? '';
      const patch: LinkPatch = {
        url: body.url ?? '',
        code: body.code ?? '',
        slug: body.slug ?? '',
        title: body.title ?? '',
        redirectStatus: body.redirectStatus ?? null,
        // An expiry left as it was is not re-validated (it may lie in the past by now).
        ...(expiresAt === dateTimeValue(current.expiresAt)
          ? {}
          : { expiresAt: expiryInput(expiresAt) }),
        disabled: body.disabled !== undefined,
      };
      try {
        const link = await links.update(user.id, id, patch);
        reply.flash('success', `Saved changes to ${linkName(link)}.`);
        return await reply.redirect(`/links/${link.id}`, 303);
      } catch (error) {
        const failure = formFailure(error, reply);
        return sendPage(
          request,
          reply,
          {
            title: `Edit ${linkName(current)}`,
            body: editLinkPage({
              csrfToken: request.csrfToken(),
              username: user.username,
              siteUrl,
              view: viewOf(current, user.username),
              values: formValues(body),
              errors: failure.errors,
            }),
          },
          failure.statusCode,
        );
      }
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(
      `/links/:id/${action}`,
      { schema: { params: idParams } },
      async (request: IdRequest, reply) => {
        const link = await links.update(signedInUser(request).id, request.params.id, { disabled });
        reply.flash(
          'success',
          disabled
            ? `${linkName(link)} is disabled: its short URL now answers “not found”.`
            : `${linkName(link)} is enabled again.`,
        );
        return reply.redirect(`/links/${link.id}`, 303);
      },
    );
  }

  app.get(
    '/links/:id/delete',
    { schema: { params: idParams } },
    async (request: IdRequest, reply) => {
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
    },
  );

  app.post(
    '/links/:id/delete',
    { schema: { params: idParams } },
    async (request: IdRequest, reply) => {
      const user = signedInUser(request);
      const link = await links.get(user.id, request.params.id);
      await links.remove(user.id, link.id);
      reply.flash('success', `Deleted ${linkName(link)} (${shortUrl(siteUrl, link.code)}).`);
      return reply.redirect('/links', 303);
    },
  );

  done();
};
