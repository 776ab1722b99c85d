// The floor: the least a missed-call text-back server can do, as its own process, for the
// benchmark to compare Ringback with. Stateless: no storage, no rules, no retries.
//
// Same HTTP stack as Ringback (Fastify, a pino logger at warn, request logging off, the webhook
// body kept raw as a string), the same signature check (src/carriers/twilio/signature.ts over
// the public URL + path), the same form parsing, the same carrier request (POST Messages.json
// with Basic auth, To/From/Body/StatusCallback/ValidityPeriod, through Node's fetch with the same
// headers and a timeout, the answer read and parsed) and the same TwiML answer. Like Ringback it
// answers the webhook without waiting for the carrier; the request to the carrier is already on
// its way when the answer leaves.
//
// Config from the environment: FLOOR_PORT, FLOOR_PUBLIC_URL, FLOOR_TWILIO_API_BASE_URL,
// FLOOR_TWILIO_ACCOUNT_SID, FLOOR_TWILIO_AUTH_TOKEN. GET /readyz answers 200 once listening.
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { renderTwiml } from '../src/carriers/twiml.ts';
import { verifyTwilioSignature } from '../src/carriers/twilio/signature.ts';
import { DEFAULT_TEXT_BACK_TEMPLATES } from '../src/domain/templates.ts';

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`floor: ${name} is not set\n`);
    process.exit(78);
  }
  return value;
}

const port = Number(env('FLOOR_PORT'));
const publicUrl = env('FLOOR_PUBLIC_URL').replace(/\/+$/, '');
const apiBase = env('FLOOR_TWILIO_API_BASE_URL').replace(/\/+$/, '');
const accountSid = env('FLOOR_TWILIO_ACCOUNT_SID');
const authToken = env('FLOOR_TWILIO_AUTH_TOKEN');

const messagesUrl = `${apiBase}/2010-04-01/Accounts/${accountSid}/Messages.json`;
const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
// A text of the same size as Ringback's (its default template, filled in as Ringback fills it).
const BODY = DEFAULT_TEXT_BACK_TEMPLATES.open.replace('{{first_name}}', 'there')
  .replace('{{business_name}}', 'My Business')
  .replace('{{callback_window}}', 'within the hour');
// What Ringback answers a missed call's dial result with (no voicemail on the line).
const TWIML = renderTwiml({ action: 'hangup', message: 'Sorry we missed your call. We will text you right away.' });
const SEND_WINDOW_SECONDS = 30 * 60;
const MISSED = new Set(['no-answer', 'busy', 'failed', 'canceled']);

const logger = pino({ level: 'warn' });
const app = Fastify({
  loggerInstance: logger as FastifyBaseLogger,
  logController: new LogController({ disableRequestLogging: true }),
  bodyLimit: 1024 * 1024,
  return503OnClosing: true,
});

let failures = 0;
async function sendText(to: string, from: string, ref: string): Promise<void> {
  const form = new URLSearchParams({ To: to, From: from, Body: BODY });
  form.set('StatusCallback', `${publicUrl}/webhooks/twilio/floor/status?ref=${encodeURIComponent(ref)}`);
  form.set('ValidityPeriod', String(SEND_WINDOW_SECONDS));
  try {
    const res = await fetch(messagesUrl, {
      method: 'POST',
      headers: { authorization, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as { sid?: unknown }) : null;
    if (!res.ok || typeof json?.sid !== 'string') throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  } catch (err) {
    failures++;
    logger.warn({ err: (err as Error).message, failures }, 'the text was not sent');
  }
}

app.get('/readyz', async () => ({ status: 'ready' }));

app.register(async (scope) => {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));
  scope.post('/webhooks/twilio/:connectionId/voice/result', async (request, reply) => {
    const rawBody = typeof request.body === 'string' ? request.body : '';
    const verified = verifyTwilioSignature(authToken, { url: publicUrl + request.url, headers: request.headers, rawBody });
    if (!verified.ok) return reply.status(403).send({ error: { code: 'bad_signature', message: verified.reason } });
    const params = new URLSearchParams(rawBody);
    const caller = params.get('From');
    const line = params.get('To');
    const callSid = params.get('CallSid');
    const status = params.get('DialCallStatus');
    if (!caller || !line || !callSid || !status) {
      return reply.status(400).send({ error: { code: 'malformed_webhook', message: 'missing From, To, CallSid or DialCallStatus' } });
    }
    if (MISSED.has(status)) void sendText(caller, line, callSid);
    return reply.status(200).header('content-type', TWIML.contentType).send(TWIML.body);
  });
});

await app.listen({ port, host: '127.0.0.1' });
const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
