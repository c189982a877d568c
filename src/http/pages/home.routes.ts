import type { FastifyPluginCallback } from 'fastify';
import { sendPage } from './render.ts';
import { landingPage, shortenPage } from './views/home.ts';

/** `/`: the pitch for visitors, the shorten form for signed-in users. */
export const homeRoutes: FastifyPluginCallback = (app, _options, done) => {
  app.get('/', (request, reply) =>
    request.user
      ? sendPage(request, reply, {
          title: 'Shorten a link',
          body: shortenPage({ csrfToken: request.csrfToken() }),
        })
      : sendPage(request, reply, {
          title: 'Short links that tell you who clicked',
          body: landingPage({ signUpOpen: request.server.signUpOpen }),
        }),
  );
  done();
};
