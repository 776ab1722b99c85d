import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

export interface NormalizeOptions {
  defaultRegion?: CountryCode;
  /** Accept NANP 555-01XX numbers, which are reserved for fiction (demos, tests, the simulator). */
  allowFictional?: boolean;
}

const NOT_A_NUMBER = 'must be a phone number in E.164 form, e.g. +12125550123';
const NOT_VALID = 'is not a valid phone number for its country';

// Only what people type around a number. Letters are refused so that extensions ("x12"),
// vanity numbers ("1-800-FLOWERS") and numbers buried in prose never become a different number.
const PHONE_CHARACTERS = /^\+?[\d\s().\-]+$/;

// +1, an area code (first digit 2-9), then 555-0100..555-0199, which NANPA keeps for fiction.
const FICTIONAL_NANP = /^\+1[2-9]\d{2}55501\d{2}$/;

export function normalizePhone(input: string, opts: NormalizeOptions = {}): PhoneResult {
  const text = input.trim();
  if (text === '') return { ok: false, reason: 'is required' };
  if (!PHONE_CHARACTERS.test(text)) return { ok: false, reason: NOT_A_NUMBER };

  const parsed = parsePhoneNumberFromString(text, {
    defaultCountry: opts.defaultRegion ?? 'US',
    extract: false,
  });
  if (parsed === undefined) return { ok: false, reason: NOT_A_NUMBER };

  const e164 = parsed.number;
  // 555-01XX numbers never belong to anyone; outside the simulator they can only be spoofed.
  if (isFictionalNanp(e164)) return (opts.allowFictional ?? true) ? { ok: true, e164 } : { ok: false, reason: NOT_VALID };
  if (parsed.isValid()) return { ok: true, e164 };
  return { ok: false, reason: NOT_VALID };
}

export function isFictionalNanp(e164: string): boolean {
  return FICTIONAL_NANP.test(e164);
}

export function formatPhoneForDisplay(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed === undefined) return e164;
  return parsed.countryCallingCode === '1' ? parsed.formatNational() : parsed.formatInternational();
}
