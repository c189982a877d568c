import type { FastifyPluginCallback } from 'fastify';
import { html } from '#src/lib/html.ts';
import { layout } from './views/layout.ts';

export const homeRoutes: FastifyPluginCallback = (app, _options, done) => {
  app.get('/', (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(
      layout({
        title: 'Short links that tell you who clicked',
        body: html`<h1>Hoplink</h1>
          <p>Short links with click analytics, on your own server.</p>`,
      }),
    ),
  );
  done();
};
