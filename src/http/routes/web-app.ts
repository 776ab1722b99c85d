// The web app: web/dist (built by `npm run build:web`, which `npm install` and `npm start` run) at `/`.
//
// - /assets/* are Vite's content-hashed files: cached for a year, immutable.
// - index.html is never cached, so a new build reaches browsers on their next load.
// - A browser GET (Accept: text/html) for any other path outside the API, the webhooks and the
//   health endpoints gets index.html, and the app routes it (/inbox/cv_…, /calls, …).
// - GET / keeps answering JSON (what this server is) to clients that do not ask for HTML.
// - Without web/dist, a browser gets a plain page saying how to build it.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const DEFAULT_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));
const NOT_APP = /^\/(api|webhooks|healthz|readyz|metrics)(\/|$|\?)/;
const YEAR_MS = 365 * 24 * 3600 * 1000;

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ringback: web app not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<main><h1>The web app has not been built yet</h1>
<p>Ringback is running, but the browser app in <code>web/dist</code> is missing. Build it with:</p>
<pre style="background:#f2f2f2;padding:.75rem">npm run build:web</pre>
<p>then reload this page. (<code>npm install</code> and <code>npm start</code> normally do this for you.)
The API at <code>/api/v1</code> works meanwhile.</p></main></body></html>
`;

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

export function registerWebAppRoutes(app: FastifyInstance, options: { distDir?: string } = {}): void {
  const distDir = options.distDir ?? DEFAULT_DIST;
  const indexPath = join(distDir, 'index.html');

  // Only reply.sendFile; the routes below decide what is served.
  app.register(fastifyStatic, { root: distDir, serve: false, suppressWarning: true });

  async function sendIndex(reply: FastifyReply): Promise<FastifyReply> {
    let html: string;
    try {
      html = await readFile(indexPath, 'utf8');
    } catch {
      return reply.status(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  }

  // `/` itself belongs to the JSON description (health.ts) unless a browser asks for a page.
  app.addHook('onRequest', async (request, reply) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && request.url.split('?')[0] === '/' && wantsHtml(request)) {
      await sendIndex(reply);
      return reply;
    }
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/assets/*',
    handler: (request, reply) => {
      const file = (request.params as { '*': string })['*'];
      return reply.sendFile(join('assets', file), { immutable: true, maxAge: YEAR_MS, cacheControl: true });
    },
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/*',
    handler: async (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      if (NOT_APP.test(path)) return reply.callNotFound();
      // Files at the top of web/dist (favicon.svg, …): one path segment with an extension.
      if (/^\/[\w.-]+\.[a-z0-9]+$/i.test(path) && !path.includes('..')) {
        const isFile = await stat(join(distDir, path)).then((s) => s.isFile(), () => false);
        if (isFile) return reply.sendFile(path.slice(1), { maxAge: 24 * 3600 * 1000, cacheControl: true });
      }
      if (!wantsHtml(request)) return reply.callNotFound();
      return sendIndex(reply);
    },
  });
}
