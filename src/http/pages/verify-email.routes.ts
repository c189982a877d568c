import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  InvalidVerificationTokenError,
  type EmailVerificationService,
} from '#src/modules/accounts/index.ts';
import { signedInUser } from '#src/http/plugins/require-user.ts';
import { field, formPage, type FormState } from './form-page.ts';
import { sendPage, type PageContent } from './render.ts';
import {
  confirmEmailPage,
  invalidConfirmationPage,
  resendConfirmationPage,
} from './views/registration.ts';
import type { ZodTypeProvider } from './zod-validation.ts';

export interface VerifyEmailRoutesOptions {
  readonly emailVerification: Pick<EmailVerificationService, 'check' | 'verify' | 'resend'>;
}

/** A confirmation link's token: 43 base64url characters; anything longer is not one. */
const ConfirmForm = z.object({ token: field.text(128) });
const ResendForm = z.object({ next: field.next() });

const RESEND = '/accounts/verify-email/resend';

function invalidLink(request: FastifyRequest): PageContent {
  return {
    title: 'Invalid link',
    body: invalidConfirmationPage({
      message: new InvalidVerificationTokenError().message,
      csrfToken: request.csrfToken(),
      signedIn: request.user !== null,
    }),
  };
}

/**
 * /accounts/verify-email: the page an emailed confirmation link opens, with one button (a mail
 * scanner following the link confirms nothing), for anyone holding the link; confirming signs
 * nobody in. A link that no longer works says so and offers a new one (decision 0027).
 */
export const verifyEmailRoutes: FastifyPluginCallback<VerifyEmailRoutesOptions> = (
  instance,
  { emailVerification },
  done,
) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/accounts/verify-email',
    { schema: { querystring: ConfirmForm } },
    async (request, reply) => {
      const { token } = request.query;
      const usable = await emailVerification.check(token);
      if (!usable) return sendPage(request, reply, invalidLink(request), 400);
      return sendPage(request, reply, {
        title: 'Confirm your email address',
        body: confirmEmailPage({ csrfToken: request.csrfToken(), token, email: usable.email }),
      });
    },
  );

  app.post(
    '/accounts/verify-email',
    formPage({
      body: ConfirmForm,
      submit: ({ token }) => emailVerification.verify(token),
      success: ({ email }, reply) => {
        const signedIn = reply.request.user !== null;
        reply.flash(
          'success',
          signedIn
            ? `Thank you: ${email} is confirmed, and you can create links.`
            : `Thank you: ${email} is confirmed. Log in to create links.`,
        );
        return reply.redirect(signedIn ? '/' : '/accounts/login', 303);
      },
      render: (request) => invalidLink(request),
    }),
  );
  done();
};

/**
 * /accounts/verify-email/resend (signed in): where the account's address stands, and a new
 * link on request, a few an hour (the banner on every page posts here too).
 */
export const resendVerificationRoutes: FastifyPluginCallback<VerifyEmailRoutesOptions> = (
  instance,
  { emailVerification },
  done,
) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const render = (request: FastifyRequest, { errors }: FormState<z.output<typeof ResendForm>>) => {
    const user = signedInUser(request);
    return {
      title: 'Confirm your email address',
      body: resendConfirmationPage({
        csrfToken: request.csrfToken(),
        email: user.email,
        verified: user.mustVerifyEmail !== true,
        errors,
      }),
    };
  };

  app.get(RESEND, (request, reply) =>
    sendPage(request, reply, render(request, { values: {}, errors: [] })),
  );

  app.post(
    RESEND,
    formPage({
      body: ResendForm,
      submit: (_values, request) =>
        emailVerification.resend({ userId: signedInUser(request).id, ip: request.ip }),
      success: (outcome, reply, { next }) => {
        const { email } = signedInUser(reply.request);
        reply.flash(
          outcome === 'sent' ? 'info' : 'success',
          outcome === 'sent'
            ? `We sent a new link to ${email}. It may take a minute to arrive.`
            : `${email} is confirmed already: you can create links.`,
        );
        return reply.redirect(next, 303);
      },
      render,
    }),
  );
  done();
};
