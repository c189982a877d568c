import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccountDeletionService } from '#src/modules/accounts/index.ts';
import { signedInUser } from '#src/http/plugins/require-user.ts';
import { field, formPage, type FormState } from './form-page.ts';
import { sendPage } from './render.ts';
import { accountDeletedPage, deleteAccountPage } from './views/leaving.ts';

export interface AccountDeletionRoutesOptions {
  readonly accountDeletion: Pick<AccountDeletionService, 'deleteOwn'>;
}

const DeleteForm = z.object({ password: field.text() });

/**
 * /accounts/delete (signed-in scope): what goes, then the password. A wrong one shows the form
 * again and deletes nothing; the right one deletes the account, ends this browser's session
 * (the others went with the account) and leads to /accounts/deleted.
 */
export const accountDeletionRoutes: FastifyPluginCallback<AccountDeletionRoutesOptions> = (
  app,
  { accountDeletion },
  done,
) => {
  const render = (request: FastifyRequest, { errors }: FormState<z.output<typeof DeleteForm>>) => ({
    title: 'Delete your account',
    body: deleteAccountPage({
      csrfToken: request.csrfToken(),
      username: signedInUser(request).username,
      errors,
    }),
  });

  app.get('/accounts/delete', (request, reply) =>
    sendPage(request, reply, render(request, { values: {}, errors: [] })),
  );

  app.post(
    '/accounts/delete',
    formPage({
      body: DeleteForm,
      submit: ({ password }, request) =>
        accountDeletion.deleteOwn(signedInUser(request).id, { password, ip: request.ip }),
      success: async (_, reply) => {
        await reply.logOut();
        return reply.redirect('/accounts/deleted', 303);
      },
      render,
    }),
  );
  done();
};

/** /accounts/deleted: where a deletion ends, signed out (so outside the signed-in scope). */
export const accountDeletedRoutes: FastifyPluginCallback = (app, _options, done) => {
  app.get('/accounts/deleted', (request, reply) =>
    sendPage(request, reply, { title: 'Your account is deleted', body: accountDeletedPage() }),
  );
  done();
};
