import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { UsersService } from '#src/modules/accounts/index.ts';
import { field, formPage, type FormState } from './form-page.ts';
import { sendPage } from './render.ts';
import { NextQuery } from './safe-next.ts';
import { loginPage } from './views/accounts.ts';
import type { ZodTypeProvider } from './zod-validation.ts';

export interface LoginRoutesOptions {
  readonly users: Pick<UsersService, 'logIn'>;
}

const LoginForm = z.object({ login: field.text(), password: field.text(), next: field.next() });

/**
 * /accounts/login and /accounts/logout. Wrong credentials and a paused account get the same
 * page (400); too many attempts a 429 with Retry-After; a limit store out of reach (503) is the
 * error handler's page.
 */
export const loginRoutes: FastifyPluginCallback<LoginRoutesOptions> = (
  instance,
  { users },
  done,
) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const render = (
    request: FastifyRequest,
    { values, errors }: FormState<z.output<typeof LoginForm>>,
  ) => ({
    title: 'Log in',
    body: loginPage({
      csrfToken: request.csrfToken(),
      login: values.login,
      errors,
      next: values.next,
      signUpOpen: request.server.signUpOpen,
    }),
  });

  app.get('/accounts/login', { schema: { querystring: NextQuery } }, (request, reply) =>
    sendPage(request, reply, render(request, { values: request.query, errors: [] })),
  );

  app.post(
    '/accounts/login',
    formPage({
      body: LoginForm,
      submit: ({ login, password }, request) => users.logIn({ login, password, ip: request.ip }),
      success: async (user, reply, { next }) => {
        await reply.logIn(user);
        return reply.redirect(next, 303);
      },
      render,
    }),
  );

  app.post('/accounts/logout', async (request, reply) => {
    const wasIn = request.user !== null;
    await reply.logOut();
    if (wasIn) reply.flash('info', 'You are logged out.');
    return reply.redirect('/', 303);
  });
  done();
};
