// GET /api/v1/events: the account's live events as Server-Sent Events, for open inboxes. A
// stream promises nothing about the past: no replay (Last-Event-ID is ignored), so a client
// re-fetches what it shows whenever it (re)connects, and the server ends a stream whenever it
// cannot vouch for what the client has seen (a gap in the bus, a client too slow to read).
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.ts';
import type { LiveEvent } from '../../services/live-events.ts';
import { principalOf } from '../auth.ts';

/** Comment lines at this interval keep proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** How long a browser waits before reconnecting after the stream ends (the SSE `retry:` field). */
const RETRY_MS = 2000;
/** A client this far behind is not reading: end its stream rather than buffer without limit. */
const MAX_BUFFERED_BYTES = 256 * 1024;

function frame(event: LiveEvent): string {
  // JSON.stringify never emits a raw newline, so the whole event fits on one data: line.
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function registerEventRoutes(api: FastifyInstance, ctx: ServiceContext, opts: { heartbeatMs?: number } = {}): void {
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  const open = new Set<ServerResponse>();

  // preClose, not onClose: Fastify's own onClose waits in server.close() for every connection to
  // finish, and a stream never finishes by itself, so ending them in onClose would come too late.
  api.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  api.get('/events', async (request, reply) => {
    const { accountId } = principalOf(request);
    // From here Fastify leaves the response to us: no serialization, no automatic end.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx would otherwise buffer the stream and deliver events in lumps.
      'x-accel-buffering': 'no',
    });
    open.add(res);

    const send = (chunk: string) => {
      if (res.writableEnded || res.destroyed) return;
      res.write(chunk);
      if (res.writableLength > MAX_BUFFERED_BYTES) res.end();
    };
    const unsubscribe = ctx.events.subscribe(accountId, (event) => send(frame(event)), {
      // Events may have been lost: end the stream, so the browser reconnects and re-fetches.
      onGap: () => res.end(),
    });
    const heartbeat = setInterval(() => send(': keepalive\n\n'), heartbeatMs);
    heartbeat.unref();

    // 'close' fires when the client goes away and when we end the stream; clean up either way.
    res.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    });
    // A write to a socket the client has just reset must not become an unhandled 'error'.
    res.on('error', () => {});

    send(`retry: ${RETRY_MS}\n: connected\n\n`);
  });
}
