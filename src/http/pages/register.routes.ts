import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { UsersService } from '#src/modules/accounts/index.ts';
import { field, formPage, type FormState } from './form-page.ts';
import { sendPage } from './render.ts';
import { NextQuery } from './safe-next.ts';
import { registerDonePage, registerPage } from './views/accounts.ts';
import type { ZodTypeProvider } from './zod-validation.ts';

export interface RegisterRoutesOptions {
  readonly users: Pick<UsersService, 'register'>;
  readonly passwordMinLength: number;
}

const RegisterForm = z.object({
  email: field.text(),
  username: field.text(),
  password: field.text(),
  next: field.next(),
});

const DONE = '/accounts/register/done';

/** /accounts/register: the sign-up form, then the same "check your email" page for everyone. */
export const registerRoutes: FastifyPluginCallback<RegisterRoutesOptions> = (
  instance,
  { users, passwordMinLength },
  done,
) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const render = (
    request: FastifyRequest,
    { values, errors }: FormState<z.output<typeof RegisterForm>>,
  ) => ({
    title: 'Sign up',
    body: registerPage({
      csrfToken: request.csrfToken(),
      values: { email: values.email, username: values.username },
      errors,
      next: values.next,
      passwordMinLength,
    }),
  });

  app.get('/accounts/register', { schema: { querystring: NextQuery } }, (request, reply) =>
    sendPage(request, reply, render(request, { values: request.query, errors: [] })),
  );

  app.post(
    '/accounts/register',
    formPage({
      body: RegisterForm,
      // The same answer whether the address was free or already had an account (0012).
      submit: ({ email, username, password }, request) =>
        users.register({ email, username, password, ip: request.ip }),
      success: (_, reply, { next }) =>
        reply.redirect(next === '/' ? DONE : `${DONE}?next=${encodeURIComponent(next)}`, 303),
      render,
    }),
  );

  app.get(DONE, { schema: { querystring: NextQuery } }, (request, reply) =>
    sendPage(request, reply, {
      title: 'Check your email',
      body: registerDonePage({ next: request.query.next }),
    }),
  );
  done();
};
