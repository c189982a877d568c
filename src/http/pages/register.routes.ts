import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  InvalidInvitationError,
  SignUpClosedError,
  type InvitationsService,
  type RegistrationMode,
  type UsersService,
} from '#src/modules/accounts/index.ts';
import { field, formPage, type FormState } from './form-page.ts';
import { sendPage, type PageContent } from './render.ts';
import { NextQuery } from './safe-next.ts';
import { registerDonePage, registerPage } from './views/accounts.ts';
import { invalidInvitationPage, signUpClosedPage } from './views/registration.ts';
import type { ZodTypeProvider } from './zod-validation.ts';

export interface RegisterRoutesOptions {
  readonly users: Pick<UsersService, 'register' | 'registerInvited'>;
  readonly invitations: Pick<InvitationsService, 'check'>;
  /** REGISTRATION_MODE: without an invitation, the form is only shown when `open`. */
  readonly registrationMode: RegistrationMode;
  readonly passwordMinLength: number;
}

/** An invitation's token: 43 base64url characters; anything longer is not one. */
const invitationToken = () => field.text(128);

const RegisterForm = z.object({
  email: field.text(),
  username: field.text(),
  password: field.text(),
  invitation: invitationToken(),
  next: field.next(),
});

const RegisterQuery = NextQuery.extend({ invitation: invitationToken() });

const DONE = '/accounts/register/done';

type Situation =
  | { readonly kind: 'open' }
  | { readonly kind: 'invited'; readonly token: string; readonly email: string }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'closed'; readonly mode: 'invite' | 'closed' };

// Closed is a 403, not a 404: the page exists and says why it cannot be used; a 404 would tell
// someone who followed an old "Sign up" link that the site is broken (decision 0027).
const STATUS: Readonly<Record<Situation['kind'], number>> = {
  open: 200,
  invited: 200,
  invalid: 400,
  closed: 403,
};

/**
 * /accounts/register: the sign-up form while REGISTRATION_MODE is open, then the same "check
 * your email" page for everyone (0012); in any mode, the form an invitation's link opens, with
 * the address fixed, which signs the new account in. Without an invitation in invite or closed
 * mode, a page that says how accounts are made here (403), and a POST creates nothing.
 */
export const registerRoutes: FastifyPluginCallback<RegisterRoutesOptions> = (
  instance,
  { users, invitations, registrationMode, passwordMinLength },
  done,
) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();

  /** What the page is for: the open form, an invitation's form, or a refusal. */
  async function situationOf(token: string): Promise<Situation> {
    if (token !== '') {
      const invitation = await invitations.check(token);
      return invitation ? { kind: 'invited', token, email: invitation.email } : { kind: 'invalid' };
    }
    return registrationMode === 'open'
      ? { kind: 'open' }
      : { kind: 'closed', mode: registrationMode };
  }

  function page(
    request: FastifyRequest,
    situation: Situation,
    { values, errors }: FormState<z.output<typeof RegisterForm>>,
  ): PageContent {
    switch (situation.kind) {
      case 'invalid':
        return {
          title: 'Invalid invitation',
          body: invalidInvitationPage(new InvalidInvitationError().message),
        };
      case 'closed':
        return {
          title: 'Sign-up',
          body: signUpClosedPage(situation.mode, new SignUpClosedError(situation.mode).message),
        };
      case 'invited':
      case 'open':
        return {
          title: 'Sign up',
          body: registerPage({
            csrfToken: request.csrfToken(),
            values: { email: values.email, username: values.username },
            errors,
            next: values.next,
            passwordMinLength,
            ...(situation.kind === 'invited'
              ? { invitation: { token: situation.token, email: situation.email } }
              : {}),
          }),
        };
    }
  }

  const render = async (
    request: FastifyRequest,
    state: FormState<z.output<typeof RegisterForm>>,
  ): Promise<PageContent> => page(request, await situationOf(state.values.invitation ?? ''), state);

  app.get(
    '/accounts/register',
    { schema: { querystring: RegisterQuery } },
    async (request, reply) => {
      const situation = await situationOf(request.query.invitation);
      const content = page(request, situation, { values: request.query, errors: [] });
      return sendPage(request, reply, content, STATUS[situation.kind]);
    },
  );

  app.post(
    '/accounts/register',
    formPage({
      body: RegisterForm,
      // The same answer whether the address was free or already had an account (0012); an
      // invitation's holder owns the address, so they get the account and a session at once.
      submit: ({ email, username, password, invitation }, request) =>
        invitation === ''
          ? users.register({ email, username, password, ip: request.ip }).then(() => null)
          : users.registerInvited({ token: invitation, username, password }),
      success: async (user, reply, { next }) => {
        if (user === null) {
          return reply.redirect(
            next === '/' ? DONE : `${DONE}?next=${encodeURIComponent(next)}`,
            303,
          );
        }
        await reply.logIn(user);
        reply.flash('success', `Welcome, ${user.username}: your account is ready.`);
        return reply.redirect(next, 303);
      },
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
