// Carrier webhooks. Verified against the connection's credentials over the public URL, parsed by
// the carrier's adapter, handled in one transaction, answered at once. A request that fails
// verification changes nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MalformedWebhookError, WEBHOOK_KINDS, type CarrierAdapter, type WebhookKind, type WebhookRequest } from '../../carriers/carrier.ts';
import { handleCarrierCallEvent } from '../../services/calls.ts';
import type { ServiceContext } from '../../services/context.ts';
import { AppError } from '../../services/errors.ts';
import { receiveInboundMessage } from '../../services/inbound-messages.ts';
import { applyStatusUpdate } from '../../services/message-status.ts';
import type { CarrierConnection } from '../../store/schema.ts';


interface Params {
  kind: string;
  connectionId: string;
}

export function registerWebhookRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.register(async (scope) => {
    // Signatures are computed over the exact bytes sent, so keep the body as a string.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));

    const handle = (hook: WebhookKind) => async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
      const { kind, connectionId } = request.params;
      const connection = await ctx.carriers.connection(ctx.store.db, connectionId);
      if (!connection || connection.kind !== kind) {
        request.log.warn({ kind, connectionId }, 'webhook for an unknown carrier connection');
        return reply.status(404).send({ error: { code: 'not_found', message: 'unknown carrier connection' } });
      }
      const adapter = ctx.carriers.adapterFor(connection);
      const webhook: WebhookRequest = {
        url: ctx.webhookBase() + request.url,
        headers: request.headers,
        rawBody: typeof request.body === 'string' ? request.body : '',
        nowSeconds: Math.floor(ctx.clock().getTime() / 1000),
      };
      const verified = adapter.verifyWebhook(webhook);
      if (!verified.ok) {
        request.log.warn({ connectionId, hook, reason: verified.reason }, 'webhook rejected: bad signature');
        return reply.status(403).send({ error: { code: 'bad_signature', message: verified.reason } });
      }
      try {
        return await dispatch(hook, connection, adapter, webhook, request, reply);
      } catch (err) {
        if (err instanceof MalformedWebhookError) {
          request.log.warn({ connectionId, hook, reason: err.message }, 'webhook rejected: malformed');
          return reply.status(400).send({ error: { code: 'malformed_webhook', message: err.message } });
        }
        throw err;
      }
    };

    const dispatch = async (
      hook: WebhookKind,
      connection: CarrierConnection,
      adapter: CarrierAdapter,
      webhook: WebhookRequest,
      request: FastifyRequest,
      reply: FastifyReply,
    ) => {
      if (hook.startsWith('voice')) {
        const event = adapter.parseCallEvent(webhook, hook);
        let rendered;
        try {
          rendered = adapter.renderCallResponse(await handleCarrierCallEvent(ctx, connection, event));
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'not_found')) throw err;
          // The carrier still holds a live caller: end the call politely, and say why in the log.
          // An outbound call is looked up by its caller (the line), an inbound one by the number dialled.
          const line = event.type === 'call.outbound' ? event.from : event.to;
          request.log.warn({ status: 404, line, direction: event.type === 'call.outbound' ? 'outbound' : 'inbound', connectionId: connection.id }, 'call on a number that is not a line');
          rendered = adapter.renderCallResponse({ action: 'hangup', message: 'Sorry, this number is not in service.' });
        }
        return reply.status(200).header('content-type', rendered.contentType).send(rendered.body);
      }
      // Carriers that post forms (TwiML-style) expect TwiML back; an empty <Response/> says "nothing to do".
      const twimlStyle = String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const acknowledge = (data: Record<string, unknown>) =>
        twimlStyle
          ? reply.status(200).header('content-type', 'text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response/>')
          : reply.status(200).send({ ok: true, ...data });
      if (hook === 'messages') {
        let inbound;
        try {
          inbound = adapter.parseInboundMessage(webhook);
        } catch (err) {
          // One URL may receive both: a carrier that posts delivery receipts to the number's
          // messaging URL (e.g. a Telnyx messaging profile) is answered as a status update.
          if (!(err instanceof MalformedWebhookError)) throw err;
          let update;
          try {
            update = adapter.parseStatusUpdate(webhook);
          } catch {
            throw err;
          }
          return acknowledge(await applyStatusUpdate(ctx, connection, update, undefined));
        }
        const result = await receiveInboundMessage(ctx, connection, inbound);
        return acknowledge({ messageId: result.messageId, duplicate: result.duplicate });
      }
      const ref = (request.query as Record<string, string | undefined>).ref;
      const result = await applyStatusUpdate(ctx, connection, adapter.parseStatusUpdate(webhook), ref);
      return acknowledge(result);
    };

    for (const hook of WEBHOOK_KINDS) {
      scope.post<{ Params: Params }>(`/webhooks/:kind/:connectionId/${hook}`, handle(hook));
    }
  });
}
