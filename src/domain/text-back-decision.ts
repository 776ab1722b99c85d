import type { CallerId, LineType } from './caller-id.ts';

export const SKIP_REASONS = [
  'answered',
  'account_paused',
  'line_paused',
  'messaging_disabled',
  'anonymous_caller',
  'invalid_caller',
  'short_code',
  'blocked',
  'opted_out',
  'not_mobile',
  'person_replied',
  'cooldown',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Decision = { action: 'send'; reason: 'missed_call' } | { action: 'skip'; reason: SkipReason };

export interface TextBackInput {
  now: Date;
  callOutcome: 'answered' | 'missed' | 'busy' | 'failed' | 'voicemail' | 'rejected';
  callerId: CallerId;
  contact: { blocked: boolean; lineType: LineType; invalid: boolean } | null;
  suppressed: boolean;
  line: { paused: boolean; messagingEnabled: boolean };
  account: { paused: boolean };
  /** Last automatic text-back to this contact from this line. */
  lastAutoTextAt: Date | null;
  /** Last time a person (a user) texted or called this contact on this line. */
  lastPersonContactAt: Date | null;
  cooldownMs: number;
}

const skip = (reason: SkipReason): Decision => ({ action: 'skip', reason });

/** The order of the checks is the contract: the first rule that applies is the reason recorded. */
export function decideTextBack(input: TextBackInput): Decision {
  const { callerId, contact } = input;
  if (input.callOutcome === 'answered') return skip('answered');
  if (input.account.paused) return skip('account_paused');
  if (input.line.paused) return skip('line_paused');
  if (!input.line.messagingEnabled) return skip('messaging_disabled');
  if (callerId.kind === 'anonymous') return skip('anonymous_caller');
  if (callerId.kind === 'invalid') return skip('invalid_caller');
  if (callerId.kind === 'short_code') return skip('short_code');
  if (contact?.blocked) return skip('blocked');
  if (input.suppressed) return skip('opted_out');
  if (contact?.invalid) return skip('invalid_caller');
  // What we learned about the contact (lookup, delivery errors) beats what the number looks like.
  const lineType = contact && contact.lineType !== 'unknown' ? contact.lineType : callerId.lineType;
  if (lineType === 'landline' || lineType === 'toll_free' || lineType === 'no_sms') return skip('not_mobile');
  if (within(input.lastPersonContactAt, input)) return skip('person_replied');
  if (within(input.lastAutoTextAt, input)) return skip('cooldown');
  return { action: 'send', reason: 'missed_call' };
}

// A timestamp in the future (clock skew between processes) counts as recent: better to miss one
// text than to double-text.
function within(last: Date | null, input: TextBackInput): boolean {
  return last !== null && input.now.getTime() - last.getTime() < input.cooldownMs;
}

export function describeDecision(d: Decision, opts: { cooldownMs?: number } = {}): string {
  if (d.action === 'send') return 'Texted back: the call was missed.';
  const window = opts.cooldownMs === undefined ? 'recently' : `in the last ${formatDuration(opts.cooldownMs)}`;
  switch (d.reason) {
    case 'answered':
      return 'Not texted: the call was answered.';
    case 'account_paused':
      return 'Not texted: automatic texts are paused for this account.';
    case 'line_paused':
      return 'Not texted: this line is paused.';
    case 'messaging_disabled':
      return 'Not texted: texting is turned off for this line.';
    case 'anonymous_caller':
      return 'Not texted: the caller hid their number, so there is nowhere to send a text.';
    case 'invalid_caller':
      return 'Not texted: the caller ID is not a phone number that can receive texts.';
    case 'short_code':
      return 'Not texted: the call came from a short code, which cannot receive texts.';
    case 'blocked':
      return 'Not texted: this caller is blocked.';
    case 'opted_out':
      return 'Not texted: this caller has opted out of texts.';
    case 'not_mobile':
      return 'Not texted: the caller is on a landline or toll-free number, which cannot receive texts.';
    case 'person_replied':
      return `Not texted: someone on your team already texted or called this caller ${window}.`;
    case 'cooldown':
      return `Not texted: this caller already got an automatic text from this line ${window}.`;
  }
}

function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % (24 * 60) === 0 && minutes >= 2 * 24 * 60) return `${minutes / (24 * 60)} days`;
  if (minutes % 60 === 0 && minutes >= 60) return plural(minutes / 60, 'hour');
  return plural(Math.max(minutes, 1), 'minute');
}

function plural(n: number, unit: string): string {
  return n === 1 ? unit : `${n} ${unit}s`;
}
