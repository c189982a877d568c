import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { html } from '#src/lib/html.ts';
import type { UsersService } from '#src/modules/accounts/index.ts';
import { signedInUser } from '#src/http/plugins/require-user.ts';
import { field, formPage } from './form-page.ts';
import { sendPage } from './render.ts';
import { profilePage, type ProfilePageOptions } from './views/accounts.ts';
import { yourDataCard } from './views/leaving.ts';

export interface ProfileRoutesOptions {
  readonly users: Pick<UsersService, 'updateProfile' | 'changePassword'>;
  readonly passwordMinLength: number;
}

const ProfileForm = z.object({ email: field.text(), username: field.text() });
const PasswordForm = z.object({ currentPassword: field.text(), newPassword: field.text() });

/**
 * /accounts/profile: email, username and password of the signed-in user, and the way to their
 * data and out of the site (signed-in scope).
 */
export const profileRoutes: FastifyPluginCallback<ProfileRoutesOptions> = (
  app,
  { users, passwordMinLength },
  done,
) => {
  /** The profile page: both forms, the stored values unless others were sent, one's errors. */
  function profile(
    request: FastifyRequest,
    page: Omit<ProfilePageOptions, 'csrfToken' | 'passwordMinLength' | 'values'> & {
      values?: Partial<ProfilePageOptions['values']>;
    } = {},
  ) {
    const user = signedInUser(request);
    const values = { email: user.email, username: user.username, ...page.values };
    return {
      title: 'Your profile',
      body: html`${profilePage({ ...page, values, csrfToken: request.csrfToken(), passwordMinLength })}${yourDataCard()}`,
    };
  }

  app.get('/accounts/profile', (request, reply) => sendPage(request, reply, profile(request)));

  app.post(
    '/accounts/profile',
    formPage({
      body: ProfileForm,
      submit: (values, request) => users.updateProfile(signedInUser(request).id, values),
      success: (_, reply) => {
        reply.flash('success', 'Your profile was saved.');
        return reply.redirect('/accounts/profile', 303);
      },
      render: (request, { values, errors }) => profile(request, { values, profileErrors: errors }),
    }),
  );

  app.post(
    '/accounts/profile/password',
    formPage({
      body: PasswordForm,
      submit: (passwords, request) =>
        users.changePassword(signedInUser(request).id, {
          ...passwords,
          keepSessionId: request.session?.id ?? null,
        }),
      success: (_, reply) => {
        reply.flash('success', 'Your password was changed. Your other sessions were logged out.');
        return reply.redirect('/accounts/profile', 303);
      },
      render: (request, { errors }) => profile(request, { passwordErrors: errors }),
    }),
  );

  done();
};
