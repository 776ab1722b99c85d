import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode, NumberType } from 'libphonenumber-js/max';
import { isFictionalNanp, normalizePhone } from './phone.ts';

/** `no_sms`: premium-rate, pager and voicemail-only numbers, which cannot take texts. */
export type LineType = 'mobile' | 'landline' | 'voip' | 'toll_free' | 'no_sms' | 'unknown';

export type CallerId =
  | { kind: 'valid'; e164: string; lineType: LineType; fictional: boolean }
  | { kind: 'anonymous'; raw: string }
  | { kind: 'short_code'; raw: string }
  | { kind: 'invalid'; raw: string };

const WITHHELD_WORDS = new Set([
  'anonymous',
  'restricted',
  'unknown',
  'private',
  'unavailable',
  'blocked',
  'withheld',
  'private number',
]);

// Twilio spells withheld caller IDs on the keypad (ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN,
// UNAVAILABLE). With a '+' they look like Lesotho, Russia, Uganda or China numbers, so they must
// be recognised before any phone parsing; a leading '1' has been seen in the wild too.
const WITHHELD_DIGITS = /^\+?1?(266696687|7378742833|2562533|8656696|86282452253)$/;

const SHORT_CODE = /^\d{3,6}$/;

export function classifyCallerId(
  raw: string | null | undefined,
  opts: { allowFictional: boolean; defaultRegion?: CountryCode },
): CallerId {
  const original = raw ?? '';
  const text = original.trim();
  if (text === '') return { kind: 'anonymous', raw: original };
  if (WITHHELD_WORDS.has(text.toLowerCase().replace(/\s+/g, ' '))) {
    return { kind: 'anonymous', raw: original };
  }
  if (WITHHELD_DIGITS.test(text.replace(/[\s().\-]/g, ''))) return { kind: 'anonymous', raw: original };
  if (SHORT_CODE.test(text)) return { kind: 'short_code', raw: original };

  const phone = normalizePhone(text, {
    allowFictional: opts.allowFictional,
    ...(opts.defaultRegion ? { defaultRegion: opts.defaultRegion } : {}),
  });
  if (!phone.ok) return { kind: 'invalid', raw: original };

  const fictional = isFictionalNanp(phone.e164);
  // A fictional number has no real line behind it, whatever its area code suggests.
  const lineType = fictional ? 'unknown' : lineTypeOf(parsePhoneNumberFromString(phone.e164)?.getType());
  return { kind: 'valid', e164: phone.e164, lineType, fictional };
}

function lineTypeOf(type: NumberType): LineType {
  switch (type) {
    case 'MOBILE':
      return 'mobile';
    case 'FIXED_LINE':
      return 'landline';
    case 'VOIP':
      return 'voip';
    case 'TOLL_FREE':
      return 'toll_free';
    case 'PREMIUM_RATE':
    case 'PAGER':
    case 'VOICEMAIL':
      return 'no_sms';
    default:
      // FIXED_LINE_OR_MOBILE (all of NANP) tells us nothing about whether texts can arrive.
      return 'unknown';
  }
}
