import { SegmentedMessage } from 'sms-segments-calculator';
import type { ScheduleSlot } from './schedule.ts';

export const TEMPLATE_VARIABLES = [
  'business_name',
  'first_name',
  'callback_window',
  'booking_link',
  'line_number',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

export type TemplateCheck = { ok: true; variables: TemplateVariable[] } | { ok: false; errors: string[] };

/** Twilio refuses longer bodies. */
export const MAX_MESSAGE_CHARACTERS = 1600;

// Generous guesses at the longest value each variable takes, so a template that passes the check
// stays under the carrier's limit once filled in.
const LONGEST_VALUE: Record<TemplateVariable, number> = {
  business_name: 100,
  first_name: 40,
  callback_window: 60,
  booking_link: 200,
  line_number: 20,
};

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const VARIABLE_LIST = TEMPLATE_VARIABLES.join(', ');

function isVariable(name: string): name is TemplateVariable {
  return (TEMPLATE_VARIABLES as readonly string[]).includes(name);
}

export function checkTemplate(
  body: string,
  opts: { purpose: 'text_back' | 'reply'; hasBookingLink: boolean },
): TemplateCheck {
  if (body.trim() === '') return { ok: false, errors: ['the message is empty'] };
  const errors: string[] = [];
  const variables: TemplateVariable[] = [];
  let fixedLength = characterCount(body);
  let variableLength = 0;

  for (const match of body.matchAll(PLACEHOLDER)) {
    const name = (match[1] ?? '').trim();
    fixedLength -= characterCount(match[0]);
    if (name === '') errors.push(`empty variable ${match[0]}; use one of ${VARIABLE_LIST}`);
    else if (!isVariable(name)) errors.push(`unknown variable {{${name}}}; use one of ${VARIABLE_LIST}`);
    else {
      variableLength += LONGEST_VALUE[name];
      if (!variables.includes(name)) variables.push(name);
    }
  }

  // Whatever brace is left once the placeholders are masked out is a typo in one of them.
  const masked = body.replace(PLACEHOLDER, (m) => ' '.repeat(m.length));
  const stray = masked.search(/[{}]/);
  if (stray !== -1) {
    const start = body.slice(0, stray).search(/\S*$/);
    const word = body.slice(start).split(/\s/)[0];
    errors.push(`unbalanced braces in "${word}"; write variables as {{name}}`);
  }

  if (variables.includes('booking_link') && !opts.hasBookingLink) {
    errors.push('{{booking_link}} is used but no booking link is set up');
  }
  const longest = fixedLength + variableLength;
  if (longest > MAX_MESSAGE_CHARACTERS) {
    errors.push(`the message could reach ${longest} characters once filled in; the limit is ${MAX_MESSAGE_CHARACTERS}`);
  }
  if (opts.purpose === 'text_back') {
    if (!variables.includes('business_name')) {
      errors.push('a text-back must include {{business_name}}: the first text has to say who is texting');
    }
    if (!/\bstop\b/i.test(body)) {
      errors.push('a text-back must say how to opt out, e.g. "Reply STOP to opt out."');
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, variables };
}

/** Unknown placeholders are left as written; checkTemplate is what keeps them out. */
export function renderTemplate(body: string, values: Record<TemplateVariable, string>): string {
  let out = '';
  let rest = 0;
  for (const match of body.matchAll(PLACEHOLDER)) {
    out += body.slice(rest, match.index);
    rest = match.index + match[0].length;
    const name = (match[1] ?? '').trim();
    const value = isVariable(name) ? values[name] : match[0];
    // "Hi {{first_name}} there" with no first name must not read "Hi  there".
    if (value === '' && out.endsWith(' ') && body[rest] === ' ') rest++;
    out += value;
  }
  return out + body.slice(rest);
}

export interface TextMeasure {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /** Unicode code points, which is what a person counts (an emoji is one). */
  characters: number;
  /** Each character that forces UCS-2, once, in order of appearance. */
  nonGsmCharacters: string[];
}

// Segmenting walks every grapheme and is the costliest step on the send path, while most bodies
// are the same few rendered templates: remember recent answers.
const MEASURE_CACHE_SIZE = 500;
const measured = new Map<string, TextMeasure>();

export function measureText(text: string): TextMeasure {
  const known = measured.get(text);
  if (known) return known;
  const message = new SegmentedMessage(text, 'auto');
  const result: TextMeasure = Object.freeze({
    encoding: message.encodingName,
    segments: message.segmentsCount,
    characters: characterCount(text),
    nonGsmCharacters: Object.freeze([...new Set(message.getNonGsmCharacters())]) as string[],
  });
  if (measured.size >= MEASURE_CACHE_SIZE) measured.delete(measured.keys().next().value!);
  measured.set(text, result);
  return result;
}

function characterCount(text: string): number {
  return [...text].length;
}

// Plain ASCII hyphens and apostrophes: one smart quote would switch the whole text to UCS-2 and
// double its cost.
const GREETING = 'Hi {{first_name}}, this is {{business_name}}. Sorry we missed your call';
const CLOSED = "Text us what you need and we'll call you back {{callback_window}}. Reply STOP to opt out.";

export const DEFAULT_TEXT_BACK_TEMPLATES: Record<ScheduleSlot, string> = {
  open: `${GREETING}! How can we help? We'll call you back {{callback_window}}. Reply STOP to opt out.`,
  after_hours: `${GREETING} - we're closed right now. ${CLOSED}`,
  weekend: `${GREETING} - we're closed for the weekend. ${CLOSED}`,
  holiday: `${GREETING} - we're closed today for the holiday. ${CLOSED}`,
};

export function firstNameOf(name: string | null | undefined): string {
  const first = (name ?? '').trim().split(/\s+/)[0]?.replace(/[,;:.]+$/, '') ?? '';
  // Names from caller ID or forms are sometimes just a number; "Hi 2125550123," reads as a bug.
  if (!/\p{L}/u.test(first) || /\d/.test(first)) return 'there';
  return first;
}
