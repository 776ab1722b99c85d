import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TEXT_BACK_TEMPLATES,
  TEMPLATE_VARIABLES,
  checkTemplate,
  firstNameOf,
  measureText,
  renderTemplate,
} from './templates.ts';
import type { TemplateCheck, TemplateVariable, TextMeasure } from './templates.ts';
import { SCHEDULE_SLOTS } from './schedule.ts';

const VARS = 'business_name, first_name, callback_window, booking_link, line_number';
const TEXT_BACK = { purpose: 'text_back', hasBookingLink: false } as const;
const REPLY = { purpose: 'reply', hasBookingLink: false } as const;
const ok = (...variables: TemplateVariable[]): TemplateCheck => ({ ok: true, variables });
const bad = (...errors: string[]): TemplateCheck => ({ ok: false, errors });
const STOP_LINE = 'Reply STOP to opt out.';

const checkCases: Array<{ name: string; body: string; opts?: Parameters<typeof checkTemplate>[1]; want: TemplateCheck }> = [
  { name: 'a minimal text-back', body: `{{business_name}} here. ${STOP_LINE}`, want: ok('business_name') },
  {
    name: 'whitespace inside braces',
    body: `Hi {{ first_name }}, {{  business_name\t}} here. ${STOP_LINE}`,
    want: ok('first_name', 'business_name'),
  },
  {
    name: 'variables listed once, in order',
    body: `{{business_name}} {{line_number}} {{business_name}} {{callback_window}}. ${STOP_LINE}`,
    want: ok('business_name', 'line_number', 'callback_window'),
  },
  { name: 'stop in lower case', body: 'Hi from {{business_name}}, reply stop to opt out', want: ok('business_name') },
  { name: 'a reply needs neither name nor STOP', body: 'On our way!', opts: REPLY, want: ok() },
  { name: 'booking link when one is set up', body: 'Book: {{booking_link}}', opts: { purpose: 'reply', hasBookingLink: true }, want: ok('booking_link') },
  { name: 'empty', body: '', want: bad('the message is empty') },
  { name: 'blank', body: ' \n ', opts: REPLY, want: bad('the message is empty') },
  {
    name: 'unknown variable',
    body: 'Hi {{foo}}',
    opts: REPLY,
    want: bad(`unknown variable {{foo}}; use one of ${VARS}`),
  },
  {
    name: 'variable names are case-sensitive',
    body: 'Hi {{First_Name}}',
    opts: REPLY,
    want: bad(`unknown variable {{First_Name}}; use one of ${VARS}`),
  },
  { name: 'empty variable', body: 'Hi {{ }}', opts: REPLY, want: bad(`empty variable {{ }}; use one of ${VARS}`) },
  {
    name: 'missing closing brace',
    body: 'Hi {{first_name}, thanks',
    opts: REPLY,
    want: bad('unbalanced braces in "{{first_name},"; write variables as {{name}}'),
  },
  {
    name: 'single braces',
    body: 'Hi {first_name}',
    opts: REPLY,
    want: bad('unbalanced braces in "{first_name}"; write variables as {{name}}'),
  },
  {
    name: 'triple braces',
    body: 'Hi {{{first_name}}}',
    opts: REPLY,
    want: bad('unbalanced braces in "{{{first_name}}}"; write variables as {{name}}'),
  },
  {
    name: 'the word holding the first stray brace is quoted',
    body: `${'x'.repeat(40)} {{first_name}} costs{ ${'y'.repeat(40)} }`,
    opts: REPLY,
    want: bad('unbalanced braces in "costs{"; write variables as {{name}}'),
  },
  {
    name: 'booking link without one set up',
    body: 'Book: {{booking_link}}',
    opts: REPLY,
    want: bad('{{booking_link}} is used but no booking link is set up'),
  },
  {
    name: 'text-back without the business name',
    body: `Hi {{first_name}}. ${STOP_LINE}`,
    want: bad('a text-back must include {{business_name}}: the first text has to say who is texting'),
  },
  {
    name: 'text-back without STOP',
    body: 'Hi from {{business_name}}',
    want: bad('a text-back must say how to opt out, e.g. "Reply STOP to opt out."'),
  },
  {
    name: 'STOP must be a word, not part of one',
    body: 'Nonstop service from {{business_name}}',
    want: bad('a text-back must say how to opt out, e.g. "Reply STOP to opt out."'),
  },
  {
    name: 'every problem is reported at once',
    body: 'Hi {{foo}} {{booking_link}',
    want: bad(
      `unknown variable {{foo}}; use one of ${VARS}`,
      'unbalanced braces in "{{booking_link}"; write variables as {{name}}',
      'a text-back must include {{business_name}}: the first text has to say who is texting',
      'a text-back must say how to opt out, e.g. "Reply STOP to opt out."',
    ),
  },
  // 1600 characters with each variable at its longest (business_name counts as 100).
  { name: 'exactly at the length limit', body: `{{business_name}}${'a'.repeat(1500)}`, opts: REPLY, want: ok('business_name') },
  {
    name: 'over the length limit once filled in',
    body: `{{business_name}}${'a'.repeat(1501)}`,
    opts: REPLY,
    want: bad('the message could reach 1601 characters once filled in; the limit is 1600'),
  },
  {
    name: 'over the length limit with no variables (emoji count once)',
    body: '🙂'.repeat(1601),
    opts: REPLY,
    want: bad('the message could reach 1601 characters once filled in; the limit is 1600'),
  },
];

for (const c of checkCases) {
  test(`checkTemplate: ${c.name}`, () => {
    assert.deepEqual(checkTemplate(c.body, c.opts ?? TEXT_BACK), c.want);
  });
}

const values: Record<TemplateVariable, string> = {
  business_name: 'Acme Plumbing',
  first_name: 'Dana',
  callback_window: 'when we open tomorrow at 8:00 AM',
  booking_link: 'https://book.example.com/acme',
  line_number: '(555) 555-0100',
};

const renderCases: Array<{ name: string; body: string; values?: Partial<Record<TemplateVariable, string>>; want: string }> = [
  { name: 'fills every variable', body: TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join('|'), want: Object.values(values).join('|') },
  { name: 'whitespace inside braces', body: 'Hi {{ first_name }}!', want: 'Hi Dana!' },
  { name: 'repeated variable', body: '{{business_name}} / {{business_name}}', want: 'Acme Plumbing / Acme Plumbing' },
  { name: 'no variables', body: 'Plain text.', want: 'Plain text.' },
  { name: 'empty variable does not leave a double space', body: 'Hi {{first_name}} there', values: { first_name: '' }, want: 'Hi there' },
  { name: 'two empty variables in a row', body: 'a {{first_name}} {{line_number}} b', values: { first_name: '', line_number: '' }, want: 'a b' },
  { name: 'double spaces written by hand stay', body: 'Hi  {{first_name}}', want: 'Hi  Dana' },
  { name: 'a filled variable keeps its spaces', body: 'Hi {{first_name}} there', want: 'Hi Dana there' },
  { name: 'unknown variables are left as written', body: 'Hi {{foo}} {{first_name}}', want: 'Hi {{foo}} Dana' },
  { name: 'values are not re-expanded', body: '{{first_name}}', values: { first_name: '{{business_name}}' }, want: '{{business_name}}' },
];

for (const c of renderCases) {
  test(`renderTemplate: ${c.name}`, () => {
    assert.equal(renderTemplate(c.body, { ...values, ...c.values }), c.want);
  });
}

const gsm = (characters: number, segments: number): TextMeasure => ({ encoding: 'GSM-7', segments, characters, nonGsmCharacters: [] });
const ucs = (characters: number, segments: number, nonGsmCharacters: string[]): TextMeasure => ({
  encoding: 'UCS-2',
  segments,
  characters,
  nonGsmCharacters,
});

// Figures from compliance.md section 2: GSM-7 160/153 septets, UCS-2 70/67 units.
const measureCases: Array<{ name: string; text: string; want: TextMeasure }> = [
  { name: '160 GSM characters fit one segment', text: 'a'.repeat(160), want: gsm(160, 1) },
  { name: '161 GSM characters need two', text: 'a'.repeat(161), want: gsm(161, 2) },
  { name: '306 GSM characters fit two', text: 'a'.repeat(306), want: gsm(306, 2) },
  { name: '307 GSM characters need three', text: 'a'.repeat(307), want: gsm(307, 3) },
  { name: '€ counts two septets: 80 fit one segment', text: '€'.repeat(80), want: gsm(80, 1) },
  { name: '€ counts two septets: 81 need two', text: '€'.repeat(81), want: gsm(81, 2) },
  { name: 'extension characters count two septets: 160 fit', text: `${'a'.repeat(150)}[]{}~`, want: gsm(155, 1) },
  { name: 'extension characters count two septets: 161 do not', text: `${'a'.repeat(151)}[]{}~`, want: gsm(156, 2) },
  { name: 'GSM accented letters stay GSM', text: 'Café Müller señor', want: gsm(17, 1) },
  {
    name: 'one smart quote turns 150 characters into 3 UCS-2 segments',
    text: `We’re${'a'.repeat(145)}`,
    want: ucs(150, 3, ['’']),
  },
  { name: '70 UCS-2 units fit one segment', text: 'á'.repeat(70), want: ucs(70, 1, ['á']) },
  { name: '71 UCS-2 units need two', text: 'á'.repeat(71), want: ucs(71, 2, ['á']) },
  { name: 'an emoji is 2 units: 35 fit one segment', text: '😀'.repeat(35), want: ucs(35, 1, ['😀']) },
  { name: 'an emoji is 2 units: 36 need two', text: '😀'.repeat(36), want: ucs(36, 2, ['😀']) },
  { name: 'non-GSM characters listed once each', text: 'ça “va” — ok', want: ucs(12, 1, ['ç', '“', '”', '—']) },
];

for (const c of measureCases) {
  test(`measureText: ${c.name}`, () => {
    assert.deepEqual(measureText(c.text), c.want);
  });
}

for (const slot of SCHEDULE_SLOTS) {
  const body = DEFAULT_TEXT_BACK_TEMPLATES[slot];
  test(`default ${slot} template passes the text-back check`, () => {
    assert.deepEqual(checkTemplate(body, TEXT_BACK), ok('first_name', 'business_name', 'callback_window'));
  });
  test(`default ${slot} template is GSM-7 and ends with the opt-out line`, () => {
    assert.equal(measureText(body).encoding, 'GSM-7');
    assert.ok(body.endsWith(STOP_LINE));
  });
  test(`default ${slot} template renders to at most 2 segments`, () => {
    const text = renderTemplate(body, { ...values, business_name: 'Northside Plumbing & Heating Co.' });
    assert.ok(text.includes('Northside Plumbing & Heating Co.'));
    assert.ok(text.includes('when we open tomorrow at 8:00 AM'));
    assert.ok(measureText(text).segments <= 2, text);
  });
}

test('default templates say when the business is closed, and only then', () => {
  assert.doesNotMatch(DEFAULT_TEXT_BACK_TEMPLATES.open, /closed/);
  for (const slot of ['after_hours', 'weekend', 'holiday'] as const) {
    assert.match(DEFAULT_TEXT_BACK_TEMPLATES[slot], /we're closed/);
  }
  assert.equal(new Set(Object.values(DEFAULT_TEXT_BACK_TEMPLATES)).size, SCHEDULE_SLOTS.length);
});

const names: Array<[string | null | undefined, string]> = [
  ['Dana Scully', 'Dana'],
  ['  dana   scully ', 'dana'],
  ['Cher', 'Cher'],
  ['José María', 'José'],
  ['Mary-Jane Watson', 'Mary-Jane'],
  ['Dana, Scully', 'Dana'],
  ['', 'there'],
  ['   ', 'there'],
  [null, 'there'],
  [undefined, 'there'],
  ['+1 212 736 5000', 'there'],
  ['2127365000', 'there'],
  ['- -', 'there'],
];

for (const [name, want] of names) {
  test(`firstNameOf(${JSON.stringify(name)}) is ${JSON.stringify(want)}`, () => {
    assert.equal(firstNameOf(name), want);
  });
}
