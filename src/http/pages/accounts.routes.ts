import type { FastifyPluginCallback } from 'fastify';
import type { PasswordResetService, UsersService } from '#src/modules/accounts/index.ts';
import { formBody, type Form } from './form-body.ts';
import { formFailure } from './form-errors.ts';
import { safeNextPath } from './safe-next.ts';
import { sendPage } from './render.ts';
import {
  invalidResetLinkPage,
  loginPage,
  passwordResetDonePage,
  passwordResetRequestPage,
  registerDonePage,
  registerPage,
  resetCompletePage,
  resetPasswordPage,
} from './views/accounts.ts';

export interface AccountsRoutesOptions {
  readonly users: UsersService;
  readonly passwordReset: PasswordResetService;
  readonly passwordMinLength: number;
}

const nextQuery = {
  type: 'object',
  properties: { next: { type: 'string', maxLength: 2048 } },
} as const;

const tokenParams = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: 256 } },
  required: ['token'],
} as const;

/**
 * The public account pages: sign-up, login, logout and the password reset flow (the profile
 * is a signed-in page: profile.routes.ts). Each handler
 * validates (schema), makes one service call and presents the result: a redirect after success
 * (303, so a reload does not resubmit), the same form with its messages otherwise. A limit store
 * out of reach (RateLimitUnavailableError, 503) is not the visitor's to fix: the error handler
 * answers it with its page.
 */
export const accountsRoutes: FastifyPluginCallback<AccountsRoutesOptions> = (
  app,
  { users, passwordReset, passwordMinLength },
  done,
) => {
  app.get<{ Querystring: { next?: string } }>(
    '/accounts/register',
    { schema: { querystring: nextQuery } },
    (request, reply) =>
      sendPage(request, reply, {
        title: 'Sign up',
        body: registerPage({
          csrfToken: request.csrfToken(),
          next: safeNextPath(request.query.next),
          passwordMinLength,
        }),
      }),
  );

  app.post<{ Body: Form<'email' | 'username' | 'password' | 'next'> }>(
    '/accounts/register',
    { schema: { body: formBody('email', 'username', 'password', 'next') } },
    async (request, reply) => {
      const { email = '', username = '', password = '' } = request.body;
      const next = safeNextPath(request.body.next);
      try {
        // The same answer whether the address was free or already had an account (0012).
        await users.register({ email, username, password, ip: request.ip });
        const done = '/accounts/register/done';
        return await reply.redirect(
          next === '/' ? done : `${done}?next=${encodeURIComponent(next)}`,
          303,
        );
      } catch (error) {
        const failure = formFailure(error, reply);
        return sendPage(
          request,
          reply,
          {
            title: 'Sign up',
            body: registerPage({
              csrfToken: request.csrfToken(),
              values: { email, username },
              errors: failure.errors,
              next,
              passwordMinLength,
            }),
          },
          failure.statusCode,
        );
      }
    },
  );

  app.get<{ Querystring: { next?: string } }>(
    '/accounts/register/done',
    { schema: { querystring: nextQuery } },
    (request, reply) =>
      sendPage(request, reply, {
        title: 'Check your email',
        body: registerDonePage({ next: safeNextPath(request.query.next) }),
      }),
  );

  app.get<{ Querystring: { next?: string } }>(
    '/accounts/login',
    { schema: { querystring: nextQuery } },
    (request, reply) =>
      sendPage(request, reply, {
        title: 'Log in',
        body: loginPage({ csrfToken: request.csrfToken(), next: safeNextPath(request.query.next) }),
      }),
  );

  app.post<{ Body: Form<'login' | 'password' | 'next'> }>(
    '/accounts/login',
    { schema: { body: formBody('login', 'password', 'next') } },
    async (request, reply) => {
      const { login = '', password = '' } = request.body;
      const next = safeNextPath(request.body.next);
      try {
        const user = await users.logIn({ login, password, ip: request.ip });
        await reply.logIn(user);
        return await reply.redirect(next, 303);
      } catch (error) {
        const failure = formFailure(error, reply);
        return sendPage(
          request,
          reply,
          {
            title: 'Log in',
            body: loginPage({
              csrfToken: request.csrfToken(),
              login,
              errors: failure.errors,
              next,
            }),
          },
          failure.statusCode,
        );
      }
    },
  );

  app.post('/accounts/logout', async (request, reply) => {
    const wasIn = request.user !== null;
    await reply.logOut();
    if (wasIn) reply.flash('info', 'You are logged out.');
    return reply.redirect('/', 303);
  });

  app.get('/accounts/password-reset', (request, reply) =>
    sendPage(request, reply, {
      title: 'Reset your password',
      body: passwordResetRequestPage({ csrfToken: request.csrfToken() }),
    }),
  );

  app.post<{ Body: Form<'email'> }>(
    '/accounts/password-reset',
    { schema: { body: formBody('email') } },
    async (request, reply) => {
      const email = request.body.email ?? '';
      try {
        await passwordReset.requestReset({ email, ip: request.ip });
        return await reply.redirect('/accounts/password-reset/done', 303);
      } catch (error) {
        const failure = formFailure(error, reply);
        return sendPage(
          request,
          reply,
          {
            title: 'Reset your password',
            body: passwordResetRequestPage({
              csrfToken: request.csrfToken(),
              email,
              errors: failure.errors,
            }),
          },
          failure.statusCode,
        );
      }
    },
  );

  app.get('/accounts/password-reset/done', (request, reply) =>
    sendPage(request, reply, { title: 'Check your email', body: passwordResetDonePage() }),
  );

  app.get('/accounts/reset/complete', (request, reply) =>
    sendPage(request, reply, { title: 'Your password is set', body: resetCompletePage() }),
  );

  app.get<{ Params: { token: string } }>(
    '/accounts/reset/:token',
    { schema: { params: tokenParams } },
    async (request, reply) => {
      // The token is in this page's URL: no Referer may carry it anywhere.
      void reply.header('referrer-policy', 'no-referrer');
      const { token } = request.params;
      if (!(await passwordReset.isUsable(token))) {
        return sendPage(
          request,
          reply,
          {
            title: 'Invalid link',
            body: invalidResetLinkPage(
              'This password reset link is invalid or has expired. Links work once, for one hour.',
            ),
          },
          400,
        );
      }
      return sendPage(request, reply, {
        title: 'Choose a new password',
        body: resetPasswordPage({ csrfToken: request.csrfToken(), token, passwordMinLength }),
      });
    },
  );

  app.post<{ Params: { token: string }; Body: Form<'newPassword'> }>(
    '/accounts/reset/:token',
    { schema: { params: tokenParams, body: formBody('newPassword') } },
    async (request, reply) => {
      void reply.header('referrer-policy', 'no-referrer');
      const { token } = request.params;
      try {
        await passwordReset.completeReset({ token, newPassword: request.body.newPassword ?? '' });
        // Every session of the account is gone, this browser's included: say so in its cookie.
        await reply.logOut();
        return await reply.redirect('/accounts/reset/complete', 303);
      } catch (error) {
        const failure = formFailure(error, reply);
        const tokenProblem = failure.errors.every((problem) => problem.field === undefined);
        return sendPage(
          request,
          reply,
          {
            title: tokenProblem ? 'Invalid link' : 'Choose a new password',
            body: tokenProblem
              ? invalidResetLinkPage(failure.errors[0]?.message ?? '')
              : resetPasswordPage({
                  csrfToken: request.csrfToken(),
                  token,
                  errors: failure.errors,
                  passwordMinLength,
                }),
          },
          failure.statusCode,
        );
      }
    },
  );
  done();
};
