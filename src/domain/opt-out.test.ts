import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CASE_KINDS, classifyInbound, evaluate, INTENTS, normalizeInbound, RULES } from './opt-out.ts';
import type { LabelledCase } from './opt-out.ts';
import { classifyKeyword, FCC_PER_SE_OPT_OUT_WORDS, HELP_KEYWORDS, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS } from './keywords.ts';

const corpus = JSON.parse(readFileSync(new URL('./data/opt-out-corpus.json', import.meta.url), 'utf8')) as { version: number; cases: LabelledCase[] };
const result = evaluate(corpus.cases);
const ruleIds = new Set(RULES.map((r) => r.id));

// Known misclassifications we accept, only in the direction of caution: an ordinary message
// classified 'ambiguous' (automation pauses, a person reads it). Text → why. Counted and reported.
const TOLERATED_CAUTIOUS = new Map<string, string>([]);

test('the corpus: version 1, at least 200 cases, every label and kind present, no duplicate texts', () => {
  assert.equal(corpus.version, 1);
  assert.ok(corpus.cases.length >= 200, `${corpus.cases.length} cases`);
  for (const c of corpus.cases) {
    assert.ok(INTENTS.includes(c.label), `label ${c.label} of ${JSON.stringify(c.text)}`);
    assert.ok(CASE_KINDS.includes(c.kind), `kind ${c.kind} of ${JSON.stringify(c.text)}`);
    assert.equal(typeof c.text, 'string');
  }
  for (const label of INTENTS) assert.ok(corpus.cases.some((c) => c.label === label), `no ${label} case`);
  for (const kind of CASE_KINDS) assert.ok(corpus.cases.some((c) => c.kind === kind), `no ${kind} case`);
  const seen = new Set<string>();
  for (const c of corpus.cases) {
    assert.ok(!seen.has(c.text), `duplicate ${JSON.stringify(c.text)}`);
    seen.add(c.text);
  }
  for (const text of TOLERATED_CAUTIOUS.keys()) assert.ok(seen.has(text), `tolerated case not in the corpus: ${text}`);
});

for (const o of result.outcomes) {
  const c = o.case;
  test(`corpus: ${JSON.stringify(c.text)} is ${c.label} (${c.kind})`, () => {
    const got = o.got;
    if (got.intent !== c.label && c.label === 'message' && got.intent === 'ambiguous' && TOLERATED_CAUTIOUS.has(c.text)) return;
    assert.equal(got.intent, c.label, `${JSON.stringify(got)} for ${JSON.stringify(normalizeInbound(c.text))}${c.note ? ` — ${c.note}` : ''}`);
    if (got.intent !== 'message') assert.ok(ruleIds.has(got.rule), `rule ${got.rule} is not in RULES`);
    if (c.kind === 'keyword' && got.intent === 'opt_out') assert.equal(got.match, 'keyword');
  });
}

test('no keyword case is missed', () => {
  const missed = result.outcomes.filter((o) => o.case.kind === 'keyword' && o.got.intent !== o.case.label);
  assert.deepEqual(missed.map((o) => o.case.text), []);
});

test('no opt-out is classified as an ordinary message', (t) => {
  t.diagnostic(`opt-out cases ${result.optOutCases}; missed ${result.missedOptOuts.length} (miss rate ${(result.missRate * 100).toFixed(2)}%), of which fell to 'message' ${result.hardMisses.length}`);
  assert.deepEqual(result.hardMisses.map((o) => o.case.text), []);
  assert.deepEqual(result.missedOptOuts.map((o) => o.case.text), []);
});

test('false-opt-out rate on ordinary service messages is 0', (t) => {
  t.diagnostic(
    `false opt-outs ${result.falseOptOuts.length} / ${result.serviceOrMessageCases} service-or-message cases = ${(result.falseOptOutRate * 100).toFixed(2)}%`,
  );
  const cautious = result.outcomes.filter((o) => o.case.label === 'message' && o.got.intent === 'ambiguous');
  t.diagnostic(`messages classified ambiguous (tolerated, cautious): ${cautious.length}`);
  assert.ok(cautious.every((o) => TOLERATED_CAUTIOUS.has(o.case.text)), cautious.map((o) => o.case.text).join(' | '));
  assert.deepEqual(result.falseOptOuts.map((o) => o.case.text), []);
  assert.equal(result.falseOptOutRate, 0);
});

// ---------------------------------------------------------------------------------------------
// Keywords: agreement with classifyKeyword, and the FCC per-se words dressed every way

const DRESSINGS: Array<[string, (k: string) => string]> = [
  ['upper', (k) => k.toUpperCase()],
  ['lower', (k) => k.toLowerCase()],
  ['title', (k) => k.charAt(0).toUpperCase() + k.slice(1)],
  ['mixed', (k) => [...k].map((ch, i) => (i % 2 ? ch.toUpperCase() : ch)).join('')],
  ['period', (k) => `${k}.`],
  ['spaces', (k) => `   ${k}  `],
  ['newline', (k) => `${k}\n`],
  ['bangs', (k) => `${k}!!!`],
  ['question', (k) => `${k}?`],
  ['smart quotes', (k) => `“${k}”`],
  ['emoji', (k) => `${k} 🛑`],
  ['emoji both sides', (k) => `😡 ${k} 👍🏽`],
  ['fullwidth', (k) => [...k.toUpperCase()].map((ch) => (/[A-Z]/.test(ch) ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch)).join('')],
  ['zero-width space', (k) => `\u200b${k}`],
  ['nbsp', (k) => `\u00a0${k}\u00a0`],
  ['please before', (k) => `please ${k}`],
  ['please after', (k) => `${k} please`],
  ['thanks after', (k) => `${k}, thanks`],
  ['pls', (k) => `${k} pls`],
  ['twice', (k) => `${k} ${k}`],
];

for (const word of [...new Set([...FCC_PER_SE_OPT_OUT_WORDS, ...OPT_OUT_KEYWORDS])]) {
  test(`keyword ${JSON.stringify(word)} is an opt-out in every dressing`, () => {
    for (const [name, dress] of DRESSINGS) {
      const body = dress(word);
      const got = classifyInbound(body);
      assert.equal(got.intent, 'opt_out', `${name}: ${JSON.stringify(body)} → ${JSON.stringify(got)}`);
      assert.equal(got.intent === 'opt_out' && got.match, 'keyword', `${name}: ${JSON.stringify(body)}`);
      assert.notEqual(got.intent === 'opt_out' && got.rule, 'keyword:exact', `${name}: ${JSON.stringify(body)} has no specific rule`);
    }
  });
}

test('classifyInbound agrees with classifyKeyword wherever classifyKeyword answers', () => {
  const bodies = [
    ...corpus.cases.map((c) => c.text),
    ...[...OPT_OUT_KEYWORDS, ...OPT_IN_KEYWORDS, ...HELP_KEYWORDS].flatMap((k) => DRESSINGS.map(([, dress]) => dress(k))),
  ];
  for (const body of bodies) {
    const keyword = classifyKeyword(body);
    if (keyword === null) continue;
    const got = classifyInbound(body);
    assert.equal(got.intent, keyword, JSON.stringify(body));
    if (got.intent === 'opt_out') assert.equal(got.match, 'keyword');
  }
});

test('opt-in and help stay exact: a keyword in a sentence is an ordinary message', () => {
  for (const body of ['yes please', 'Yes, Tuesday works', 'start time?', 'When can you start?', 'help me', 'I need info on pricing', 'unstop please']) {
    assert.deepEqual(classifyInbound(body), { intent: 'message' }, body);
  }
  assert.deepEqual(classifyInbound('START'), { intent: 'opt_in', rule: 'opt-in:start' });
  assert.deepEqual(classifyInbound('Unstop!'), { intent: 'opt_in', rule: 'opt-in:unstop' });
  assert.deepEqual(classifyInbound('yes'), { intent: 'opt_in', rule: 'opt-in:yes' });
  assert.deepEqual(classifyInbound('HELP'), { intent: 'help', rule: 'help:help' });
  assert.deepEqual(classifyInbound('info.'), { intent: 'help', rule: 'help:info' });
});

test('rules name what matched: keyword ids, phrase ids, and ambiguous rules carry an explanation', () => {
  assert.deepEqual(classifyInbound('STOP'), { intent: 'opt_out', match: 'keyword', rule: 'keyword:stop' });
  assert.deepEqual(classifyInbound('stop please'), { intent: 'opt_out', match: 'keyword', rule: 'keyword:stop' });
  assert.deepEqual(classifyInbound('Opt-Out'), { intent: 'opt_out', match: 'keyword', rule: 'keyword:opt-out' });
  assert.deepEqual(classifyInbound('ARRÊT'), { intent: 'opt_out', match: 'keyword', rule: 'keyword:arret' });
  assert.deepEqual(classifyInbound("Don't text me"), { intent: 'opt_out', match: 'phrase', rule: 'phrase:dont-text-me' });
  assert.deepEqual(classifyInbound('stop texting me'), { intent: 'opt_out', match: 'phrase', rule: 'phrase:stop-texting' });
  assert.deepEqual(classifyInbound('Alto'), { intent: 'opt_out', match: 'phrase', rule: 'phrase:es-alto' });
  const leak = classifyInbound("My sink won't stop leaking");
  assert.equal(leak.intent, 'ambiguous');
  assert.equal(leak.intent === 'ambiguous' && leak.rule, 'ambiguous:stop-in-sentence');
  assert.ok(leak.intent === 'ambiguous' && leak.explanation.length > 20);
});

test('RULES: unique ids, each described; Spanish and French rules are marked unverified', () => {
  assert.equal(ruleIds.size, RULES.length);
  for (const r of RULES) {
    assert.match(r.id, /^(?:keyword|phrase|ambiguous|opt-in|help):[a-z0-9-]+$/, r.id);
    assert.ok(r.description.length > 10, r.id);
    if (/^phrase:(?:es|fr)-/.test(r.id)) assert.equal(r.unverified, true, r.id);
  }
});

test('the same text always gets the same verdict', () => {
  for (const c of corpus.cases.slice(0, 50)) assert.deepEqual(classifyInbound(c.text), classifyInbound(c.text));
});

test('a long message is classified quickly', () => {
  const long = 'my water heater is leaking and the pilot light keeps going out, '.repeat(25) + 'stop by when you can';
  const started = performance.now();
  assert.equal(classifyInbound(long).intent, 'ambiguous');
  assert.equal(classifyInbound('stop '.repeat(300)).intent, 'opt_out');
  assert.ok(performance.now() - started < 250, `${performance.now() - started} ms`);
});

// ---------------------------------------------------------------------------------------------
// Normalisation

const NORMALISED: Array<[string, string]> = [
  ['STOP', 'stop'],
  ['  Stop!!!  ', 'stop'],
  ['Don’t TEXT me!!! 😡', 'dont text me'],
  ["don't text me", 'dont text me'],
  ['do not text me', 'dont text me'],
  ['dont text me', 'dont text me'],
  ['pls stop', 'please stop'],
  ['plz stop', 'please stop'],
  ['pleeeease stop', 'please stop'],
  ['Stoppp', 'stop'],
  ['STOOOOP', 'stop'],
  ['stop txting u', 'stop texting you'],
  ['no more msgs', 'no more messages'],
  ['txts', 'texts'],
  ['stop thank you', 'stop thanks'],
  ['Who is this? STOP', 'who is this | stop'],
  ['Stop. I never called you', 'stop | i never called you'],
  ['ＳＴＯＰ', 'stop'],
  ['S T O P', 'stop'],
  ['S. T. O. P.', 'stop'],
  ['\u200bstop\u200b', 'stop'],
  ['“Stop”', 'stop'],
  ['Opt-Out', 'opt out'],
  ['ARRÊT', 'arret'],
  ['No me envíe más mensajes', 'no me envie mas mensajes'],
  ['¿Cuánto cuesta?', 'cuanto cuesta'],
  ['Call me at 3:30 or 3.30pm', 'call me at 3 30 or 3 30pm'],
  ['wrong #', 'wrong number'],
  ['unsubscibe', 'unsubscribe'],
  ['stoop', 'stoop'],
  ['🙏', ''],
  ['', ''],
  ['...', ''],
];

for (const [input, want] of NORMALISED) {
  test(`normalizeInbound ${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => {
    assert.equal(normalizeInbound(input), want);
  });
}

test('empty and symbol-only texts are ordinary messages', () => {
  for (const body of ['', '   ', '🙏', '...', '?', '👍🏽']) assert.deepEqual(classifyInbound(body), { intent: 'message' }, JSON.stringify(body));
});
