import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { API_TOKEN_SCOPES, type ApiTokensService } from '#src/modules/accounts/index.ts';
import { signedInUser } from '#src/http/plugins/require-user.ts';
import { field, formPage } from './form-page.ts';
import { sendPage } from './render.ts';
import { tokensPage, type TokensPageOptions } from './views/tokens.ts';
import type { ZodTypeProvider } from './zod-validation.ts';

export interface TokensRoutesOptions {
  readonly apiTokens: Pick<ApiTokensService, 'create' | 'list' | 'revoke'>;
}

const TokenForm = z.object({ name: field.text(), scopes: field.choices(10) });
const TokenParams = z.object({ id: z.guid('Not an API token id.') });

/**
 * /settings/tokens: personal API tokens. A new token is shown in the response to its creation
 * and nowhere else (never stored, never put in a cookie or a redirect), so this POST renders a
 * page instead of redirecting.
 */
export const tokensRoutes: FastifyPluginCallback<TokensRoutesOptions> = (
  instance,
  { apiTokens },
  done,
) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const page = async (
    request: FastifyRequest,
    state: Pick<TokensPageOptions, 'created' | 'values' | 'errors'> = {},
  ) => ({
    title: 'API tokens',
    body: tokensPage({
      ...state,
      csrfToken: request.csrfToken(),
      tokens: await apiTokens.list(signedInUser(request).id),
      scopes: API_TOKEN_SCOPES,
    }),
  });

  app.get('/settings/tokens', async (request, reply) =>
    sendPage(request, reply, await page(request)),
  );

  app.post(
    '/settings/tokens',
    formPage({
      body: TokenForm,
      submit: (form, request) => apiTokens.create(signedInUser(request).id, form),
      success: async (created, reply) =>
        sendPage(reply.request, reply, await page(reply.request, { created }), 201),
      render: page,
    }),
  );

  app.post(
    '/settings/tokens/:id/revoke',
    { schema: { params: TokenParams } },
    async (request, reply) => {
      const revoked = await apiTokens.revoke(signedInUser(request).id, request.params.id);
      reply.flash('success', `The token “${revoked.name}” (${revoked.prefix}…) was revoked.`);
      return reply.redirect('/settings/tokens', 303);
    },
  );
  done();
};
