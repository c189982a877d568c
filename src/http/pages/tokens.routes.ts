import type { FastifyPluginCallback } from 'fastify';
import { API_TOKEN_SCOPES, type ApiTokensService } from '#src/modules/accounts/index.ts';
import { signedInUser } from '#src/http/plugins/require-user.ts';
import { formFailure } from './form-errors.ts';
import { sendPage } from './render.ts';
import { tokensPage } from './views/tokens.ts';

export interface TokensRoutesOptions {
  readonly apiTokens: ApiTokensService;
}

const createBody = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 4096 },
    // One checkbox arrives as a string; Fastify's validator turns it into a one-item array.
    scopes: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 10 },
  },
} as const;

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', format: 'uuid' } },
  required: ['id'],
} as const;

/**
 * /settings/tokens: personal API tokens. A new token is shown in the response to its creation
 * and nowhere else (never stored, never put in a cookie or a redirect), so this POST renders a
 * page instead of redirecting.
 */
export const tokensRoutes: FastifyPluginCallback<TokensRoutesOptions> = (
  app,
  { apiTokens },
  done,
) => {
  app.get('/settings/tokens', async (request, reply) =>
    sendPage(request, reply, {
      title: 'API tokens',
      body: tokensPage({
        csrfToken: request.csrfToken(),
        tokens: await apiTokens.list(signedInUser(request).id),
        scopes: API_TOKEN_SCOPES,
      }),
    }),
  );

  app.post<{ Body: { name?: string; scopes?: string[] } }>(
    '/settings/tokens',
    { schema: { body: createBody } },
    async (request, reply) => {
      const userId = signedInUser(request).id;
      const name = request.body.name ?? '';
      const scopes = request.body.scopes ?? [];
      try {
        const created = await apiTokens.create(userId, { name, scopes });
        return await sendPage(
          request,
          reply,
          {
            title: 'API tokens',
            body: tokensPage({
              csrfToken: request.csrfToken(),
              tokens: await apiTokens.list(userId),
              scopes: API_TOKEN_SCOPES,
              created,
            }),
          },
          201,
        );
      } catch (error) {
        const failure = formFailure(error, reply);
        return sendPage(
          request,
          reply,
          {
            title: 'API tokens',
            body: tokensPage({
              csrfToken: request.csrfToken(),
              tokens: await apiTokens.list(userId),
              scopes: API_TOKEN_SCOPES,
              values: { name, scopes },
              errors: failure.errors,
            }),
          },
          failure.statusCode,
        );
      }
    },
  );

  app.post<{ Params: { id: string } }>(
    '/settings/tokens/:id/revoke',
    { schema: { params: idParams } },
    async (request, reply) => {
      const revoked = await apiTokens.revoke(signedInUser(request).id, request.params.id);
      reply.flash('success', `The token “${revoked.name}” (${revoked.prefix}…) was revoked.`);
      return reply.redirect('/settings/tokens', 303);
    },
  );
  done();
};
