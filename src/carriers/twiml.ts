// TwiML, shared by Twilio and by Telnyx TeXML (which speaks the same XML and posts the same
// Twilio-style form parameters): rendering call instructions, and reading voice webhooks.
import { MalformedWebhookError, type CallEvent, type CallInstructions, type CallOutcome, type CallResponse, type WebhookKind } from './carrier.ts';

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

function say(text: string | undefined): string {
  return text ? `<Say>${escapeXml(text)}</Say>` : '';
}

const E164 = /^\+[1-9]\d{1,14}$/;

/** TwiML time attributes are positive whole seconds (Twilio warns 13212 otherwise). */
function positiveSeconds(seconds: number): number {
  return Number.isFinite(seconds) ? Math.max(1, Math.round(seconds)) : 1;
}

export function renderTwiml(instructions: CallInstructions): CallResponse {
  return { contentType: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?><Response>${twimlBody(instructions)}</Response>` };
}

function twimlBody(i: CallInstructions): string {
  switch (i.action) {
    case 'dial': {
      const numbers = i.targets
        .map((t) => `<Number${i.screening && i.screenUrl ? ` url="${escapeXml(i.screenUrl)}" method="POST"` : ''}>${escapeXml(t)}</Number>`)
        .join('');
      // Only a real number can be shown: Twilio fails the whole <Dial> on an invalid callerId (a
      // withheld caller's "anonymous", say); without the attribute it shows the caller's own ID.
      const callerId = E164.test(i.callerId) ? ` callerId="${escapeXml(i.callerId)}"` : '';
      // answerOnBridge: the caller hears ringing (not an answered silence) while the owner is screened.
      return `${say(i.greeting)}<Dial answerOnBridge="true" timeout="${positiveSeconds(i.ringSeconds)}"${callerId} action="${escapeXml(i.resultUrl)}" method="POST">${numbers}</Dial>`;
    }
    case 'screen':
      return `<Gather numDigits="1" timeout="${positiveSeconds(i.timeoutSeconds)}" action="${escapeXml(i.acceptUrl)}" method="POST">${say(i.prompt)}</Gather><Hangup/>`;
    case 'connect':
      return '';
    case 'voicemail': {
      const url = escapeXml(i.recordingUrl);
      const transcribe = i.transcribe ? ` transcribe="true" transcribeCallback="${url}"` : '';
      return `${say(i.greeting)}<Record maxLength="${positiveSeconds(i.maxSeconds)}" playBeep="true" action="${url}" method="POST"${transcribe}/><Hangup/>`;
    }
    case 'reject':
      return '<Reject/>';
    case 'hangup':
      return `${say(i.message)}<Hangup/>`;
  }
}

/** Form parameters as Twilio sends them (application/x-www-form-urlencoded). */
export function parseForm(rawBody: string): Map<string, string> {
  const params = new URLSearchParams(rawBody);
  return new Map(params.entries());
}

function required(params: Map<string, string>, name: string, carrier: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw new MalformedWebhookError(`${carrier} webhook is missing the "${name}" parameter`);
  return value;
}

function queryOf(url: string): URLSearchParams {
  try {
    return new URL(url).searchParams;
  } catch {
    return new URLSearchParams();
  }
}

function fromQuery(url: string, name: string, carrier: string): string {
  const value = queryOf(url).get(name);
  if (!value) throw new MalformedWebhookError(`${carrier} webhook URL is missing the "${name}" query parameter`);
  return value;
}

/** DialCallStatus → outcome. `completed`/`answered` mean "something picked up": a person or a voicemail box. */
const DIAL_STATUS: Record<string, { outcome: CallOutcome; answered?: boolean }> = {
  completed: { outcome: 'answered', answered: true },
  answered: { outcome: 'answered', answered: true },
  busy: { outcome: 'busy' },
  'no-answer': { outcome: 'missed' },
  // The dialled leg was cancelled before anyone answered: the caller hung up while it rang.
  canceled: { outcome: 'missed' },
  failed: { outcome: 'failed' },
};

const FINAL_CALL_STATUS = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

function timestamp(params: Map<string, string>, now: Date): Date {
  const raw = params.get('Timestamp');
  if (raw) {
    const parsed = new Date(raw);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  return now;
}

/**
 * Reads a TwiML voice webhook. The body does not say which step it is, so the endpoint does.
 * Screening and voicemail URLs carry the caller's call id and the line in their query string,
 * because those requests come from the other leg or after the fact.
 */
export function parseTwimlCallEvent(req: { url: string; rawBody: string; nowSeconds: number }, hook: WebhookKind, carrier: string): CallEvent {
  const params = parseForm(req.rawBody);
  const now = new Date(req.nowSeconds * 1000);
  const forwardedFrom = params.get('ForwardedFrom') || undefined;
  switch (hook) {
    case 'voice': {
      return {
        type: 'call.incoming',
        carrierCallId: required(params, 'CallSid', carrier),
        from: params.get('From') ?? '',
        to: required(params, 'To', carrier),
        ...(forwardedFrom ? { forwardedFrom } : {}),
        occurredAt: now,
      };
    }
    case 'voice/result': {
      const status = required(params, 'DialCallStatus', carrier);
      const mapped = DIAL_STATUS[status];
      if (!mapped) throw new MalformedWebhookError(`${carrier} webhook has an unknown DialCallStatus "${status}"`);
      const duration = Number(params.get('DialCallDuration') ?? '0');
      const endedAt = timestamp(params, now);
      return {
        type: 'call.completed',
        carrierCallId: required(params, 'CallSid', carrier),
        from: params.get('From') ?? '',
        to: required(params, 'To', carrier),
        outcome: mapped.outcome,
        startedAt: new Date(endedAt.getTime() - (Number.isFinite(duration) ? duration : 0) * 1000),
        endedAt,
        ...(forwardedFrom ? { forwardedFrom } : {}),
        ...(mapped.answered ? { answerNeedsScreening: true } : {}),
      };
    }
    case 'voice/status': {
      const status = required(params, 'CallStatus', carrier);
      if (!FINAL_CALL_STATUS.has(status)) {
        // Carriers may report progress (initiated, ringing, in-progress); only the end matters.
        return { type: 'call.progress', carrierCallId: required(params, 'CallSid', carrier), to: required(params, 'To', carrier), status };
      }
      return {
        type: 'call.ended',
        carrierCallId: required(params, 'CallSid', carrier),
        from: params.get('From') ?? '',
        to: required(params, 'To', carrier),
        status: status as 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled',
        endedAt: timestamp(params, now),
        ...(forwardedFrom ? { forwardedFrom } : {}),
      };
    }
    case 'voice/screen':
      required(params, 'CallSid', carrier);
      return {
        type: 'call.screen',
        carrierCallId: fromQuery(req.url, 'call', carrier),
        from: fromQuery(req.url, 'caller', carrier),
        to: fromQuery(req.url, 'line', carrier),
      };
    case 'voice/screen-accept':
      return {
        type: 'call.screen_accepted',
        carrierCallId: fromQuery(req.url, 'call', carrier),
        to: fromQuery(req.url, 'line', carrier),
        digits: required(params, 'Digits', carrier),
      };
    case 'voice/voicemail': {
      const transcript = params.get('TranscriptionText') || undefined;
      const duration = Number(params.get('RecordingDuration'));
      return {
        type: 'call.voicemail',
        carrierCallId: fromQuery(req.url, 'call', carrier),
        to: fromQuery(req.url, 'line', carrier),
        recordingUrl: required(params, 'RecordingUrl', carrier),
        ...(transcript ? { transcript } : {}),
        ...(Number.isFinite(duration) && params.has('RecordingDuration') ? { durationSeconds: duration } : {}),
      };
    }
    default:
      throw new MalformedWebhookError(`${carrier} does not send call events to the ${hook} endpoint`);
  }
}
