import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { QUEUE_NAMES } from '#src/jobs/job-registry.ts';
import { FAILED_JOBS_SHOWN, type QueueInspection } from '#src/jobs/queue.ts';
import { NotFoundError } from '#src/lib/errors.ts';
import { createIpMatcher } from '#src/lib/net.ts';
import { signedInUser } from '#src/http/plugins/require-user.ts';
import { sendPage } from './render.ts';
import { queuesPage } from './views/admin.ts';
import type { ZodTypeProvider } from './zod-validation.ts';

export interface AdminRoutesOptions {
  /** ADMIN_PATH: one segment, such as /staff-x1y2. */
  readonly adminPath: string;
  /** ADMIN_ALLOWED_IPS: CIDR blocks; empty allows every address. */
  readonly allowedIps: readonly string[];
  readonly jobs: QueueInspection;
}

const JobParams = z.object({ queue: z.enum(QUEUE_NAMES), id: z.string().min(1).max(256) });

type JobRequest = FastifyRequest<{ Params: z.output<typeof JobParams> }>;

/**
 * The staff-only area under ADMIN_PATH (SPEC §3): for now the queue dashboard. Its guard runs
 * on every request before the body, the CSRF check or any handler: an address outside
 * ADMIN_ALLOWED_IPS, and a signed-in user who is not staff, get the same 404 as a path that
 * does not exist; only an anonymous visitor is sent to the login form.
 */
export const adminRoutes: FastifyPluginCallback<AdminRoutesOptions> = (instance, options, done) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const { adminPath, jobs } = options;
  const queuesPath = `${adminPath}/queues`;
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
      body: queuesPage({
        csrfToken: request.csrfToken(),
        adminPath,
        queues: await jobs.overview({ failedLimit: FAILED_JOBS_SHOWN }),
      }),
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
  done();
};
