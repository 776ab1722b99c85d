import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHelpReply, buildOptInConfirmation, buildOptOutConfirmation, classifyKeyword } from './keywords.ts';
import type { KeywordIntent } from './keywords.ts';
import { measureText } from './templates.ts';

const KEYWORDS: Record<KeywordIntent, string[]> = {
  opt_out: [
    'STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT OUT',
    'OPT-OUT', 'REMOVE', 'ARRET', 'ARRÊT',
  ],
  opt_in: ['START', 'UNSTOP', 'YES'],
  help: ['HELP', 'INFO'],
};

// Ways people (and phones) dress up a one-word reply.
const VARIANTS: Array<[string, (k: string) => string]> = [
  ['as sent', (k) => k],
  ['lower case', (k) => k.toLowerCase()],
  ['title case', (k) => k.charAt(0) + k.slice(1).toLowerCase()],
  ['trailing period', (k) => `${k}.`],
  ['surrounding spaces and !!', (k) => `  ${k.toLowerCase()}!! `],
  ['newline after', (k) => `${k}\n`],
  ['quoted', (k) => `"${k}"`],
  ['trailing emoji', (k) => `${k} 🙏`],
  ['emoji with skin tone and variation selector', (k) => `👍🏽 ${k} ❤️`],
  ['fullwidth letters', (k) => k.replace(/[A-Z]/g, (ch) => String.fromCodePoint(ch.codePointAt(0)! + 0xfee0))],
  ['non-breaking spaces', (k) => `\u00a0${k}\u00a0`],
  ['zero-width space', (k) => `\u200b${k}`],
];

for (const [intent, words] of Object.entries(KEYWORDS) as Array<[KeywordIntent, string[]]>) {
  for (const word of words) {
    for (const [variant, dress] of VARIANTS) {
      const body = dress(word);
      test(`classifyKeyword ${JSON.stringify(body)} (${variant}) is ${intent}`, () => {
        assert.equal(classifyKeyword(body), intent);
      });
    }
  }
}

const others: Array<[string, KeywordIntent | null]> = [
  ['Stop.', 'opt_out'],
  ['  stop!! ', 'opt_out'],
  ['STOP 🙏', 'opt_out'],
  ['stop    all', 'opt_out'],
  ['Stop\tall', 'opt_out'],
  ['please stop', null],
  ['stop please', null],
  ['stop leaking', null],
  ['My sink won’t stop leaking', null],
  ['stop stop', null],
  ['stopp', null],
  ['nonstop', null],
  ['s t o p', null],
  ['opt  -  out', null],
  ['yes please', null],
  ['Yes, Tuesday works', null],
  ['help me', null],
  ['I need info on pricing', null],
  ['', null],
  ['   ', null],
  ['🙏', null],
  ['...', null],
  ['Thanks!', null],
];

for (const [body, want] of others) {
  test(`classifyKeyword ${JSON.stringify(body)} is ${want}`, () => {
    assert.equal(classifyKeyword(body), want);
  });
}

const BUSINESS = 'Acme Plumbing';
const LONG_BUSINESS = 'Northside Plumbing, Heating & Air Conditioning';

const replies: Array<{ name: string; text: string; has: string[]; maxSegments: number }> = [
  {
    name: 'opt-out confirmation',
    text: buildOptOutConfirmation(BUSINESS),
    has: [
      "You're unsubscribed from Acme Plumbing texts and will get no more messages. Reply START to resubscribe.",
    ],
    maxSegments: 1,
  },
  {
    name: 'opt-in confirmation',
    text: buildOptInConfirmation(BUSINESS),
    has: ["You're resubscribed to Acme Plumbing texts. Reply STOP to opt out."],
    maxSegments: 1,
  },
  {
    name: 'help reply with a phone number',
    text: buildHelpReply({ businessName: BUSINESS, contactLine: 'call (555) 555-0100' }),
    has: ['Acme Plumbing', 'your call', 'call (555) 555-0100', 'Msg & data rates may apply.', 'Reply STOP to opt out.'],
    maxSegments: 2,
  },
  {
    name: 'help reply with an email',
    text: buildHelpReply({ businessName: BUSINESS, contactLine: 'office@acme-plumbing.example' }),
    has: ['Acme Plumbing', 'office@acme-plumbing.example.', 'Msg & data rates may apply.', 'Reply STOP to opt out.'],
    maxSegments: 2,
  },
  {
    name: 'help reply with a long name and contact line',
    text: buildHelpReply({ businessName: LONG_BUSINESS, contactLine: 'call or text (555) 555-0100, Mon-Fri 8-5.' }),
    has: [LONG_BUSINESS, 'Mon-Fri 8-5. Msg', 'Msg & data rates may apply.', 'Reply STOP to opt out.'],
    maxSegments: 2,
  },
];

for (const r of replies) {
  test(`${r.name} is GSM-7, at most ${r.maxSegments} segment(s), and says what it must`, () => {
    const m = measureText(r.text);
    assert.equal(m.encoding, 'GSM-7', `non-GSM: ${m.nonGsmCharacters.join(' ')}`);
    assert.ok(m.segments <= r.maxSegments, `${m.segments} segments: ${r.text}`);
    for (const part of r.has) assert.ok(r.text.includes(part), `missing ${JSON.stringify(part)} in ${r.text}`);
  });
}

test('the opt-out confirmation is not itself mistaken for a keyword and carries no marketing', () => {
  const text = buildOptOutConfirmation(` ${BUSINESS} `);
  assert.equal(classifyKeyword(text), null);
  assert.ok(text.includes('from Acme Plumbing texts'));
  assert.doesNotMatch(text, /https?:|offer|discount|%/i);
});
