import type { FastifyPluginCallback } from 'fastify';
import type { StatsService } from '#src/modules/analytics/index.ts';
import type { LinksService } from '#src/modules/links/index.ts';
import { callerOf } from './bearer-auth.ts';
import {
  LinkListQuery,
  LinkListSchema,
  LinkParams,
  LinkPatchBody,
  LinkSchema,
  LinkStatsSchema,
  NewLinkBody,
  StatsQuery,
  presentLink,
  presentStats,
} from './links.schemas.ts';
import { NoContent } from './openapi.ts';
import type { ZodTypeProvider } from './zod-compilers.ts';

export interface LinksRoutesOptions {
  readonly links: LinksService;
  readonly stats: Pick<StatsService, 'stats'>;
  /** SITE_URL: the only base of short URLs and Location headers. */
  readonly siteUrl: string;
}

/**
 * /api/v1/links: CRUD and stats of the caller's own links. Another user's link is a 404 on
 * every route (the services report it exactly like a missing one).
 */
export const linksApiRoutes: FastifyPluginCallback<LinksRoutesOptions> = (
  instance,
  { links, stats, siteUrl },
  done,
) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const present = (link: Parameters<typeof presentLink>[0]) => presentLink(link, siteUrl);

  app.post(
    '/links',
    {
      config: { apiAccess: 'links:write' },
      schema: {
        operationId: 'createLink',
        summary: 'Shorten a URL',
        tags: ['links'],
        body: NewLinkBody,
        response: { 201: LinkSchema },
        // The accounts service refuses with EmailNotVerifiedError; the error handler maps it.
        errorDescriptions: {
          403: 'The token lacks `links:write` (`insufficient_scope`), or the account has not confirmed its email address yet while the server requires it (`email_unverified`): follow the link in the email, or ask for a new one on the site. Nothing was created.',
        },
      },
    },
    async (request, reply) => {
      const link = await links.create(callerOf(request).user.id, request.body);
      return reply
        .code(201)
        .header('location', `${siteUrl}/api/v1/links/${link.id}`)
        .send(present(link));
    },
  );

  app.get(
    '/links',
    {
      config: { apiAccess: 'links:read' },
      schema: {
        operationId: 'listLinks',
        summary: 'List your links, newest first',
        tags: ['links'],
        querystring: LinkListQuery,
        response: { 200: LinkListSchema },
      },
    },
    async (request) => {
      const page = await links.list(callerOf(request).user.id, request.query);
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/links/:id',
    {
      config: { apiAccess: 'links:read' },
      schema: {
        operationId: 'getLink',
        summary: 'One of your links',
        tags: ['links'],
        params: LinkParams,
        response: { 200: LinkSchema },
      },
    },
    async (request) => present(await links.get(callerOf(request).user.id, request.params.id)),
  );

  app.patch(
    '/links/:id',
    {
      config: { apiAccess: 'links:write' },
      schema: {
        operationId: 'updateLink',
        summary: 'Change a link',
        tags: ['links'],
        params: LinkParams,
        body: LinkPatchBody,
        response: { 200: LinkSchema },
      },
    },
    async (request) =>
      present(await links.update(callerOf(request).user.id, request.params.id, request.body)),
  );

  app.delete(
    '/links/:id',
    {
      config: { apiAccess: 'links:write' },
      schema: {
        operationId: 'deleteLink',
        summary: 'Delete a link and its clicks',
        tags: ['links'],
        params: LinkParams,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await links.remove(callerOf(request).user.id, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/links/:id/stats',
    {
      config: { apiAccess: 'links:read' },
      schema: {
        operationId: 'getLinkStats',
        summary: "A link's clicks over the last days",
        tags: ['links'],
        params: LinkParams,
        querystring: StatsQuery,
        response: { 200: LinkStatsSchema },
      },
    },
    async (request) =>
      presentStats(
        await stats.stats(callerOf(request).user.id, request.params.id, request.query.days),
      ),
  );
  done();
};
