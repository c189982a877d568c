import type { FastifyPluginCallback } from 'fastify';
import { callerOf } from './bearer-auth.ts';
import { MeSchema } from './me.schemas.ts';
import type { ZodTypeProvider } from './zod-compilers.ts';

/** GET /api/v1/me: who the token belongs to; any valid token, whatever its scopes. */
export const meApiRoutes: FastifyPluginCallback = (instance, _options, done) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/me',
    {
      config: { apiAccess: 'authenticated' },
      schema: {
        operationId: 'getMe',
        summary: 'The current user',
        tags: ['account'],
        response: { 200: MeSchema },
      },
    },
    // The whole User goes in; the schema lets out id, email and username.
    (request, reply) => {
      void reply.send(callerOf(request).user);
    },
  );
  done();
};
