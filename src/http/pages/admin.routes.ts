import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { QUEUE_NAMES } from '#src/jobs/job-registry.ts';
import { FAILED_JOBS_SHOWN, type QueueInspection } from '#src/jobs/queue.ts';
import { NotFoundError } from '#src/lib/errors.ts';
import { html } from '#src/lib/html.ts';
import { createIpMatcher } from '#src/lib/net.ts';
import { INVITATIONS_LISTED, type InvitationsService } from '#src/modules/accounts/index.ts';
import { signedInUser } from '#src/http/plugins/require-user.ts';
import { field, formPage, type FormState } from './form-page.ts';
import { sendPage } from './render.ts';
import { queuesPage, staffNav } from './views/admin.ts';
import { invitationsPage } from './views/invitations.ts';
import type { ZodTypeProvider } from './zod-validation.ts';

export interface AdminRoutesOptions {
  /** ADMIN_PATH: one segment, such as /staff-x1y2. */
  readonly adminPath: string;
  /** ADMIN_ALLOWED_IPS: CIDR blocks; empty allows every address. */
  readonly allowedIps: readonly string[];
  readonly jobs: QueueInspection;
  readonly invitations: Pick<InvitationsService, 'create' | 'list' | 'revoke'>;
  /** INVITATION_TTL, which the invitations page states. */
  readonly invitationTtlMs: number;
}

const JobParams = z.object({ queue: z.enum(QUEUE_NAMES), id: z.string().min(1).max(256) });

type JobRequest = FastifyRequest<{ Params: z.output<typeof JobParams> }>;

const InvitationForm = z.object({ email: field.text(320) });
const InvitationParams = z.object({ id: z.uuid() });

/**
 * The staff-only area under ADMIN_PATH (SPEC §3): the queue dashboard and invitations. Its guard runs
 * on every request before the body, the CSRF check or any handler: an address outside
 * ADMIN_ALLOWED_IPS, and a signed-in user who is not staff, get the same 404 as a path that
 * does not exist; only an anonymous visitor is sent to the login form.
 */
export const adminRoutes: FastifyPluginCallback<AdminRoutesOptions> = (instance, options, done) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const { adminPath, jobs, invitations } = options;
  const queuesPath = `${adminPath}/queues`;
  const invitationsPath = `${adminPath}/invitations`;
  const allowed =
    options.allowedIps.length === 0 ? () => true : createIpMatcher(options.allowedIps);

  // Hooks added here apply to this plugin's routes only (it is not wrapped in fastify-plugin).
  app.addHook('onRequest', async (request, reply) => {
    if (!allowed(request.ip)) {
      // request.ip honours X-Forwarded-For from TRUSTED_PROXIES only; this line explains a
      // surprising 404 when the proxy is not trusted and every request seems to come from it.
      request.log.info({ ip: request.ip }, 'staff area refused: address not in ADMIN_ALLOWED_IPS');
      throw new NotFoundError();
    }
    if (request.user && !request.user.isStaff) throw new NotFoundError();
    void reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex');
    if (!request.user) {
      // After login, a GET comes back here; a form post cannot be replayed, so its page does.
      const next = request.method === 'GET' ? request.url : queuesPath;
      return reply.redirect(`/accounts/login?next=${encodeURIComponent(next)}`, 303);
    }
    return undefined;
  });

  app.get(adminPath, (_request, reply) => reply.redirect(queuesPath));

  app.get(queuesPath, async (request, reply) =>
    sendPage(request, reply, {
      title: 'Queues',
      body: html`${staffNav(adminPath, 'queues')}${queuesPage({
        csrfToken: request.csrfToken(),
        adminPath,
        queues: await jobs.overview({ failedLimit: FAILED_JOBS_SHOWN }),
      })}`,
    }),
  );

  async function act(request: JobRequest, reply: FastifyReply, action: 'retry' | 'remove') {
    const { queue, id } = request.params;
    const acted =
      action === 'retry' ? await jobs.retryFailed(queue, id) : await jobs.removeFailed(queue, id);
    if (acted) {
      // Staff actions on other people's jobs are worth an audit line.
      request.log.info(
        { staffId: signedInUser(request).id, queue, jobId: id, action },
        `staff ${action === 'retry' ? 'retried' : 'removed'} failed job ${id}`,
      );
      reply.flash(
        'success',
        action === 'retry'
          ? `Job ${id} is back in the ${queue} queue for a new round of attempts.`
          : `Job ${id} was removed from the ${queue} queue.`,
      );
    } else {
      reply.flash(
        'error',
        `The ${queue} queue has no failed job ${id} any more: it may have been retried or removed meanwhile.`,
      );
    }
    return reply.redirect(queuesPath, 303);
  }

  app.post(
    `${queuesPath}/:queue/jobs/:id/retry`,
    { schema: { params: JobParams } },
    (request, reply) => act(request, reply, 'retry'),
  );
  app.post(
    `${queuesPath}/:queue/jobs/:id/remove`,
    { schema: { params: JobParams } },
    (request, reply) => act(request, reply, 'remove'),
  );

  const renderInvitations = async (
    request: FastifyRequest,
    { values, errors }: FormState<z.output<typeof InvitationForm>>,
  ) => ({
    title: 'Invitations',
    body: html`${staffNav(adminPath, 'invitations')}${invitationsPage({
      csrfToken: request.csrfToken(),
      adminPath,
      invitations: await invitations.list(),
      listed: INVITATIONS_LISTED,
      validForMs: options.invitationTtlMs,
      values,
      errors,
    })}`,
  });

  app.get(invitationsPath, async (request, reply) =>
    sendPage(request, reply, await renderInvitations(request, { values: {}, errors: [] })),
  );

  app.post(
    invitationsPath,
    formPage({
      body: InvitationForm,
      submit: ({ email }, request) =>
        invitations.create({ email, invitedBy: signedInUser(request).id }),
      success: (invitation, reply) => {
        // The address stays out of the log (decision 0016): the id leads to it.
        reply.request.log.info(
          { staffId: signedInUser(reply.request).id, invitationId: invitation.id },
          'staff created an invitation',
        );
        reply.flash(
          'success',
          `Invitation sent to ${invitation.email}. Its link works once, until ${invitation.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
        );
        return reply.redirect(invitationsPath, 303);
      },
      render: renderInvitations,
    }),
  );

  app.post(
    `${invitationsPath}/:id/revoke`,
    { schema: { params: InvitationParams } },
    async (request, reply) => {
      const revoked = await invitations.revoke(request.params.id);
      if (revoked) {
        request.log.info(
          { staffId: signedInUser(request).id, invitationId: revoked.id },
          'staff revoked an invitation',
        );
        reply.flash(
          'success',
          `The invitation to ${revoked.email} is revoked: its link no longer works.`,
        );
      } else {
        reply.flash(
          'error',
          'That invitation is not pending any more: it was used, revoked or it expired meanwhile.',
        );
      }
      return reply.redirect(invitationsPath, 303);
    },
  );
  done();
};
