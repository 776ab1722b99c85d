// The one interface every carrier adapter implements (simulator, Twilio, Telnyx).
// Adapters translate between a carrier's wire format and these shapes; they never touch the
// database and never decide anything: services do.

export type CarrierKind = 'simulator' | 'twilio' | 'telnyx';

/** A webhook as it arrived, before anything trusts it. */
export interface WebhookRequest {
  /** The full public URL the carrier called, including the query string. */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body exactly as received (signatures are computed over it). */
  rawBody: string;
  /** Seconds since the epoch, for carriers whose signatures carry a timestamp window. */
  nowSeconds: number;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** What became of a call, as the domain model names it. */
export type CallOutcome = 'answered' | 'missed' | 'busy' | 'failed' | 'voicemail' | 'rejected';

/** What became of a call the business placed to a contact (a callback). */
export type OutboundCallOutcome = 'answered' | 'missed' | 'busy' | 'failed' | 'voicemail';

/**
 * What a call webhook says. One call (the caller's leg, `carrierCallId`) produces several:
 * incoming → (screen → screen accepted) → completed (the dial result) → ended (the carrier's
 * final status, a backstop when no dial result comes, e.g. the caller hung up mid-ring) →
 * voicemail (a recording left after a missed call). A call the business places FROM the line
 * is reported once it ends, as call.outbound.
 */
export type CallEvent =
  | {
      type: 'call.incoming';
      carrierCallId: string;
      /** The caller ID exactly as the carrier sent it (may be a withheld-number sentinel). */
      from: string;
      to: string;
      /** The business number the caller dialled, when the call was forwarded to the line. */
      forwardedFrom?: string;
      occurredAt: Date;
    }
  | {
      type: 'call.completed';
      carrierCallId: string;
      from: string;
      to: string;
      outcome: CallOutcome;
      startedAt: Date;
      endedAt: Date;
      forwardedFrom?: string;
      voicemailUrl?: string;
      voicemailTranscript?: string;
      /**
       * The carrier reports the dialled phone picked up, but cannot tell a person from a
       * voicemail box: it counts as answered only if the person pressed a key at screening.
       */
      answerNeedsScreening?: boolean;
    }
  | {
      /** The carrier's final status for the caller's leg. */
      type: 'call.ended';
      carrierCallId: string;
      from: string;
      to: string;
      status: 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
      endedAt: Date;
      forwardedFrom?: string;
    }
  | {
      /**
       * A call from the line to a contact ended (someone at the business called them, e.g. a
       * callback placed through the carrier's API or a phone on the carrier's account).
       */
      type: 'call.outbound';
      carrierCallId: string;
      /** The line's number. */
      from: string;
      /** The number called, exactly as the carrier sent it. */
      to: string;
      outcome: OutboundCallOutcome;
      startedAt: Date;
      endedAt: Date;
    }
  | {
      /**
       * A status callback for a call still in progress (ringing, answered): nothing to do.
       * `to` is the line the call belongs to (for an outbound call, the number it is placed from).
       */
      type: 'call.progress';
      carrierCallId: string;
      to: string;
      status: string;
    }
  | {
      /** The dialled phone picked up; the person answering is about to be asked to press a key. */
      type: 'call.screen';
      carrierCallId: string;
      /** The caller's number, as carried in the screening URL. */
      from: string;
      to: string;
    }
  | {
      /** The person answering pressed a key: the call is theirs. */
      type: 'call.screen_accepted';
      carrierCallId: string;
      to: string;
      digits: string;
    }
  | {
      type: 'call.voicemail';
      carrierCallId: string;
      to: string;
      recordingUrl: string;
      transcript?: string;
      durationSeconds?: number;
    };

export interface InboundMessage {
  carrierMessageId: string;
  from: string;
  to: string;
  body: string;
  receivedAt: Date;
}

/** Carrier-side statuses, in the order a message moves through them. */
export type CarrierMessageStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface StatusUpdate {
  carrierMessageId: string;
  status: CarrierMessageStatus;
  errorCode?: string;
  occurredAt: Date;
}

/** How Ringback wants an incoming call handled; each adapter renders it in its own format. */
export type CallInstructions =
  | {
      action: 'dial';
      targets: string[];
      ringSeconds: number;
      /** Ask the person answering to press a key, so a cell phone's voicemail never counts. */
      screening: boolean;
      greeting?: string;
      /** The number shown to the people being rung. */
      callerId: string;
      /** Where the carrier reports the dial result. */
      resultUrl: string;
      /** Where the carrier asks what to play to the person answering (when screening). */
      screenUrl?: string;
    }
  | {
      /** Played to the person answering: press a key within timeoutSeconds to take the call. */
      action: 'screen';
      prompt: string;
      acceptUrl: string;
      timeoutSeconds: number;
    }
  | { action: 'connect' }
  | {
      /** After a missed call: let the caller leave a message. */
      action: 'voicemail';
      greeting: string;
      maxSeconds: number;
      transcribe: boolean;
      /** Where the carrier posts the recording (and its transcript, when it makes one). */
      recordingUrl: string;
    }
  | { action: 'reject'; message?: string }
  | { action: 'hangup'; message?: string };

export interface CallResponse {
  contentType: string;
  body: string;
}

export interface OutboundMessage {
  /** Ringback's message id: the idempotency reference used to reconcile ambiguous sends. */
  ref: string;
  from: string;
  to: string;
  body: string;
  /** Seconds the carrier may hold the message before giving up on it. */
  validitySeconds?: number;
  statusCallbackUrl?: string;
}

export interface SendResult {
  carrierMessageId: string;
  status: CarrierMessageStatus;
  segments?: number;
}

/**
 * A failed carrier request, classified so the job runner knows what to do:
 * - `retryable`: definitely not accepted (429, connection refused, 5xx before acceptance) → retry with backoff;
 * - `ambiguous`: may have been accepted (timeout after sending, reset) → reconcile before retrying;
 * - `permanent`: will never succeed as asked (invalid number, opted out at the carrier, bad credentials).
 */
export class CarrierError extends Error {
  readonly kind: 'retryable' | 'ambiguous' | 'permanent';
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(
    kind: 'retryable' | 'ambiguous' | 'permanent',
    message: string,
    opts: { code?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CarrierError';
    this.kind = kind;
    this.code = opts.code;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** A webhook body that is signed correctly but does not carry what the carrier documents. */
export class MalformedWebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedWebhookError';
  }
}

/** The webhook endpoints of a carrier connection; the path segment of their URLs. */
export type WebhookKind =
  | 'voice'
  | 'voice/result'
  | 'voice/screen'
  | 'voice/screen-accept'
  | 'voice/status'
  | 'voice/voicemail'
  | 'messages'
  | 'status';

export const WEBHOOK_KINDS: readonly WebhookKind[] = [
  'voice',
  'voice/result',
  'voice/screen',
  'voice/screen-accept',
  'voice/status',
  'voice/voicemail',
  'messages',
  'status',
];

/** The URLs a number must be pointed at, for the carrier's console or for configureNumber. */
export interface LineWebhooks {
  voice: string;
  voiceStatus: string;
  messages: string;
}

/** What a carrier says about one number on the account. */
export interface NumberInspection {
  found: boolean;
  voiceUrl?: string | null;
  messagesUrl?: string | null;
}

export type AccountCheck = { ok: true; accountName?: string } | { ok: false; problem: string };

export interface CarrierAdapter {
  readonly kind: CarrierKind;
  verifyWebhook(req: WebhookRequest): VerifyResult;
  /**
   * Throws MalformedWebhookError when the body is not a call event this carrier sends.
   * `hook` is the endpoint it arrived on (carriers whose bodies do not say which event they are).
   */
  parseCallEvent(req: WebhookRequest, hook: WebhookKind): CallEvent;
  parseInboundMessage(req: WebhookRequest): InboundMessage;
  parseStatusUpdate(req: WebhookRequest): StatusUpdate;
  renderCallResponse(instructions: CallInstructions): CallResponse;
  /** Throws CarrierError on failure. */
  sendMessage(message: OutboundMessage): Promise<SendResult>;
  /** After an ambiguous failure: did the carrier accept this message? null when it did not. */
  findSentMessage(message: OutboundMessage): Promise<SendResult | null>;
  /** Are the credentials good? Throws nothing: a problem is described in plain words. */
  checkAccount(): Promise<AccountCheck>;
  /** Where the carrier sends this number's calls and texts now. */
  inspectNumber(number: string): Promise<NumberInspection>;
  /** Points the number's webhooks at Ringback. Throws CarrierError when it cannot. */
  configureNumber(number: string, webhooks: LineWebhooks): Promise<void>;
}
