import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { UsersService } from '#src/modules/accounts/index.ts';
import { signedInUser } from '#src/http/plugins/require-user.ts';
import { formBody, type Form } from './form-body.ts';
import { formFailure } from './form-errors.ts';
import { sendPage } from './render.ts';
import { profilePage, type ProfilePageOptions } from './views/accounts.ts';

export interface ProfileRoutesOptions {
  readonly users: Pick<UsersService, 'updateProfile' | 'changePassword'>;
  readonly passwordMinLength: number;
}

/** /accounts/profile: email, username and password of the signed-in user (signed-in scope). */
export const profileRoutes: FastifyPluginCallback<ProfileRoutesOptions> = (
  app,
  { users, passwordMinLength },
  done,
) => {
  /** The profile page: both forms, with the given values and one form's errors. */
  function renderProfile(
    request: FastifyRequest,
    reply: FastifyReply,
    page: Omit<ProfilePageOptions, 'csrfToken' | 'passwordMinLength'>,
    statusCode?: number,
  ) {
    return sendPage(
      request,
      reply,
      {
        title: 'Your profile',
        body: profilePage({ ...page, csrfToken: request.csrfToken(), passwordMinLength }),
      },
      statusCode,
    );
  }

  app.get('/accounts/profile', (request, reply) => {
    const user = signedInUser(request);
    return renderProfile(request, reply, {
      values: { email: user.email, username: user.username },
    });
  });

  app.post<{ Body: Form<'email' | 'username'> }>(
    '/accounts/profile',
    { schema: { body: formBody('email', 'username') } },
    async (request, reply) => {
      const { email = '', username = '' } = request.body;
      try {
        await users.updateProfile(signedInUser(request).id, { email, username });
        reply.flash('success', 'Your profile was saved.');
        return await reply.redirect('/accounts/profile', 303);
      } catch (error) {
        const failure = formFailure(error, reply);
        return renderProfile(
          request,
          reply,
          { values: { email, username }, profileErrors: failure.errors },
          failure.statusCode,
        );
      }
    },
  );

  app.post<{ Body: Form<'currentPassword' | 'newPassword'> }>(
    '/accounts/profile/password',
    { schema: { body: formBody('currentPassword', 'newPassword') } },
    async (request, reply) => {
      const user = signedInUser(request);
      try {
        await users.changePassword(user.id, {
          currentPassword: request.body.currentPassword ?? '',
          newPassword: request.body.newPassword ?? '',
          keepSessionId: request.session?.id ?? null,
        });
        reply.flash('success', 'Your password was changed. Your other sessions were logged out.');
        return await reply.redirect('/accounts/profile', 303);
      } catch (error) {
        const failure = formFailure(error, reply);
        return renderProfile(
          request,
          reply,
          {
            values: { email: user.email, username: user.username },
            passwordErrors: failure.errors,
          },
          failure.statusCode,
        );
      }
    },
  );

  done();
};
