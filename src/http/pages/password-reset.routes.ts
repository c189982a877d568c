import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidResetTokenError, type PasswordResetService } from '#src/modules/accounts/index.ts';
import { field, formPage, type FormState } from './form-page.ts';
import { sendPage } from './render.ts';
import {
  invalidResetLinkPage,
  passwordResetDonePage,
  passwordResetRequestPage,
  resetCompletePage,
  resetPasswordPage,
} from './views/accounts.ts';
import type { ZodTypeProvider } from './zod-validation.ts';

export interface PasswordResetRoutesOptions {
  readonly passwordReset: Pick<PasswordResetService, 'requestReset' | 'isUsable' | 'completeReset'>;
  readonly passwordMinLength: number;
}

const RequestForm = z.object({ email: field.text() });
const NewPasswordForm = z.object({ newPassword: field.text() });
const TokenParams = z.object({ token: z.string().max(256) });

function invalidLink(message = new InvalidResetTokenError().message) {
  return { title: 'Invalid link', body: invalidResetLinkPage(message) };
}

/**
 * The reset flow: ask for a link (the same answer whether or not the address has an account),
 * then choose a new password on the page the emailed link opens.
 */
export const passwordResetRoutes: FastifyPluginAsync<PasswordResetRoutesOptions> = async (
  instance,
  { passwordReset, passwordMinLength },
) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const renderRequest = (
    request: FastifyRequest,
    { values, errors }: FormState<z.output<typeof RequestForm>>,
  ) => ({
    title: 'Reset your password',
    body: passwordResetRequestPage({ csrfToken: request.csrfToken(), email: values.email, errors }),
  });

  app.get('/accounts/password-reset', (request, reply) =>
    sendPage(request, reply, renderRequest(request, { values: {}, errors: [] })),
  );

  app.post(
    '/accounts/password-reset',
    formPage({
      body: RequestForm,
      submit: ({ email }, request) => passwordReset.requestReset({ email, ip: request.ip }),
      success: (_, reply) => reply.redirect('/accounts/password-reset/done', 303),
      render: renderRequest,
    }),
  );

  app.get('/accounts/password-reset/done', (request, reply) =>
    sendPage(request, reply, { title: 'Check your email', body: passwordResetDonePage() }),
  );

  app.get('/accounts/reset/complete', (request, reply) =>
    sendPage(request, reply, { title: 'Your password is set', body: resetCompletePage() }),
  );

  await app.register((scope, _options, registered) => {
    const tokenPages = scope.withTypeProvider<ZodTypeProvider>();
    // The token is in these pages' URL: no Referer may carry it anywhere.
    tokenPages.addHook('onRequest', (_request, reply, next) => {
      void reply.header('referrer-policy', 'no-referrer');
      next();
    });
    const renderNewPassword = (
      request: FastifyRequest<{ Params: z.output<typeof TokenParams> }>,
      { errors }: FormState<z.output<typeof NewPasswordForm>>,
    ) =>
      // No field named: the link itself is the problem (used, expired, unknown).
      errors.length > 0 && errors.every((error) => error.field === undefined)
        ? invalidLink(errors[0]?.message)
        : {
            title: 'Choose a new password',
            body: resetPasswordPage({
              csrfToken: request.csrfToken(),
              token: request.params.token,
              errors,
              passwordMinLength,
            }),
          };

    tokenPages.get(
      '/accounts/reset/:token',
      { schema: { params: TokenParams } },
      async (request, reply) =>
        (await passwordReset.isUsable(request.params.token))
          ? sendPage(request, reply, renderNewPassword(request, { values: {}, errors: [] }))
          : sendPage(request, reply, invalidLink(), 400),
    );

    tokenPages.post(
      '/accounts/reset/:token',
      formPage({
        body: NewPasswordForm,
        params: TokenParams,
        submit: ({ newPassword }, request) =>
          passwordReset.completeReset({ token: request.params.token, newPassword }),
        success: async (_, reply) => {
          // Every session of the account is gone, this browser's included: say so in its cookie.
          await reply.logOut();
          return reply.redirect('/accounts/reset/complete', 303);
        },
        render: renderNewPassword,
      }),
    );
    registered();
  });
};
