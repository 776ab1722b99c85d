// Plain-language opt-outs (compliance.md 1.2 and the "Recommended classifier" in 1.3).
//
// The FCC lets a consumer revoke consent "in any reasonable manner": the carrier keywords that
// classifyKeyword() knows are the floor, not the rule. This classifier adds phrase revocations
// ("stop texting me", "wrong number", "no me escriban") and an 'ambiguous' verdict for the
// keyword words used about the job ("my sink won't stop leaking", "I need to cancel Tuesday"):
// those pause automation and go to a person instead of unsubscribing a paying customer.
//
// Deterministic and auditable: no scores, every verdict names the rule that produced it, and
// every rule is listed in RULES with what it means. The labelled corpus in
// data/opt-out-corpus.json drives the tests and scripts/opt-out-report.ts.
import { classifyKeyword } from './keywords.ts';

export type InboundClassification =
  | { intent: 'opt_out'; match: 'keyword' | 'phrase'; rule: string }
  | { intent: 'ambiguous'; rule: string; explanation: string }
  | { intent: 'opt_in'; rule: string }
  | { intent: 'help'; rule: string }
  | { intent: 'message' };

export type InboundIntent = InboundClassification['intent'];

export interface RuleInfo {
  id: string;
  intent: 'opt_out' | 'ambiguous' | 'opt_in' | 'help';
  description: string;
  /** Wording we have not checked with native speakers or a regulator (compliance.md [U]). */
  unverified?: true;
}

// ---------------------------------------------------------------------------------------------
// Normalisation

const SYNONYMS = new Map<string, string>([
  // texting shorthand
  ['u', 'you'], ['ur', 'your'], ['r', 'are'],
  ['pls', 'please'], ['plz', 'please'], ['plez', 'please'], ['plse', 'please'], ['pleas', 'please'],
  ['pleez', 'please'], ['pleeze', 'please'], ['pleaz', 'please'], ['plis', 'please'], ['plss', 'please'],
  ['thx', 'thanks'], ['thnx', 'thanks'], ['thanx', 'thanks'], ['thnks', 'thanks'], ['thks', 'thanks'],
  ['tnx', 'thanks'], ['ty', 'thanks'], ['tyvm', 'thanks'], ['thanku', 'thanks'], ['thankyou', 'thanks'],
  ['k', 'ok'], ['kk', 'ok'], ['okay', 'ok'], ['okey', 'ok'],
  ['txt', 'text'], ['txts', 'texts'], ['sms', 'text'], ['txting', 'texting'], ['txtin', 'texting'],
  ['textin', 'texting'], ['texing', 'texting'], ['textn', 'texting'], ['txtng', 'texting'],
  ['msg', 'message'], ['mssg', 'message'], ['mesage', 'message'], ['msgs', 'messages'], ['mssgs', 'messages'],
  ['mesages', 'messages'], ['messeges', 'messages'], ['msging', 'messaging'], ['msgin', 'messaging'],
  ['messagin', 'messaging'], ['callin', 'calling'], ['sendin', 'sending'], ['contactin', 'contacting'],
  ['dnt', 'dont'], ['nvr', 'never'],
  // typos of the keywords people actually send
  ['stopp', 'stop'], ['sotp', 'stop'], ['stpo', 'stop'], ['stahp', 'stop'], ['stp', 'stop'], ['st0p', 'stop'],
  ['unsub', 'unsubscribe'], ['opt0ut', 'optout'],
]);

// Words the rules use. Only consulted to undo stretched letters ("stooop", "pleeease").
const VOCAB = new Set<string>([
  ...SYNONYMS.keys(), ...SYNONYMS.values(),
  'stop', 'please', 'thanks', 'no', 'yes', 'now', 'all', 'so', 'too', 'me', 'alone', 'leave', 'never', 'ever',
  'cancel', 'end', 'quit', 'remove', 'text', 'texts', 'texting', 'calling', 'call', 'messages', 'message',
  'messaging', 'contact', 'contacting', 'wrong', 'number', 'interested', 'not', 'more', 'spam', 'help',
  'hello', 'hi', 'hey', 'what', 'who', 'why', 'seriously', 'god', 'omg', 'ok', 'alto', 'basta', 'ya', 'already',
]);

const MERGES: Array<[RegExp, string]> = [
  [/\b(don|won|can|didn|doesn|isn|wouldn|couldn|shouldn|aren|wasn) t\b/g, '$1t'],
  [/\bi m\b/g, 'im'],
  [/\bdo not\b/g, 'dont'],
  [/\bdoes not\b/g, 'doesnt'],
  [/\bdid not\b/g, 'didnt'],
  [/\bwill not\b/g, 'wont'],
  [/\b(?:can not|cannot)\b/g, 'cant'],
  [/\bi am\b/g, 'im'],
  [/\bthank you\b/g, 'thanks'],
  [/\bthanks you\b/g, 'thanks'],
  [/\bpor favor\b/g, 'porfavor'],
  [/\bsil vous plait\b/g, 'svp'],
];

function squeeze(token: string): string {
  if (!/(\p{L})\1\1/u.test(token)) return token;
  const runsToOne = token.replace(/(\p{L})\1{2,}/gu, '$1');
  if (VOCAB.has(runsToOne)) return runsToOne;
  return token.replace(/(\p{L})\1{2,}/gu, '$1$1');
}

// Optimal string alignment distance, for the one long keyword people misspell ("unsubscibe").
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function canonicalToken(raw: string): string {
  const t = squeeze(raw);
  const mapped = SYNONYMS.get(t);
  if (mapped) return mapped;
  if (t !== 'unsubscribed' && t.startsWith('uns') && t.length >= 8 && editDistance(t, 'unsubscribe') <= 2) return 'unsubscribe';
  return t;
}

interface Analysis {
  /** Canonical words of each sentence-like clause. */
  clauses: string[][];
  /** All words, clause boundaries dropped. */
  words: string[];
  /** Clauses joined with " | ": what the phrase patterns read. */
  text: string;
}

function analyse(body: string): Analysis {
  let s = body.normalize('NFKC').toLowerCase();
  s = s.replace(/[\u2018\u2019\u201A\u201B\u2032\u2035\u02BC\u00B4`]/g, "'").replace(/[\u201C\u201D\u201E\u201F\u2033\u2036\u00AB\u00BB]/g, '"');
  // Accents off ("arrêt", "envíe", "número"); this also drops emoji variation selectors and keycaps.
  s = s.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC');
  s = s.replace(/\p{Cf}/gu, ''); // zero-width spaces and joiners, bidi marks
  s = s.replace(/\bwrong\s*#/g, 'wrong number ');
  s = s.replace(/[\r\n\u2028\u2029\u0085]+/g, ' | ');
  // Sentence punctuation ends a clause; "3.30" and "s.t.o.p" stay inside one.
  s = s.replace(/[.!?;,:\u2026]+(?=[\s|]|$)/g, ' | ').replace(/(^|\s)[.!?;,:\u2026]+/g, '$1 | ');
  s = s.replace(/\s[-\u2010-\u2015]+\s/g, ' | ');
  s = s.replace(/['"]/g, '');
  s = s.replace(/[^\p{L}\p{N}|]+/gu, ' ');

  let rawClauses = s.split('|').map((c) => c.trim().split(' ').filter(Boolean)).filter((c) => c.length > 0);
  const all = rawClauses.flat();
  // "S T O P" and "S. T. O. P."
  if (all.length >= 3 && all.every((w) => w.length === 1)) rawClauses = [[all.join('')]];

  const clauses = rawClauses
    .map((words) => {
      let c = words.map(canonicalToken).join(' ');
      for (const [re, to] of MERGES) c = c.replace(re, to);
      return c.split(' ').filter(Boolean);
    })
    .filter((c) => c.length > 0);
  return { clauses, words: clauses.flat(), text: clauses.map((c) => c.join(' ')).join(' | ') };
}

/** The canonical form the rules read: lower case, ASCII, shorthand expanded, clauses joined by " | ". */
export function normalizeInbound(body: string): string {
  return analyse(body).text;
}

// ---------------------------------------------------------------------------------------------
// Keywords, alone or with polite words

interface KeywordDef {
  words: string[];
  /** Rule id when the body is only this keyword plus politeness. */
  id: string;
  /** Carrier/FCC keywords match as 'keyword'; the foreign-language words are phrase rules. */
  carrier: boolean;
  /** Strong keywords mean "stop" on their own; weak ones (cancel, end, remove) also mean the appointment. */
  strong: boolean;
  unverified?: true;
}

const KEYWORDS: KeywordDef[] = [
  { words: ['stop', 'all'], id: 'keyword:stop-all', carrier: true, strong: true },
  { words: ['opt', 'out'], id: 'keyword:opt-out', carrier: true, strong: true },
  { words: ['stop'], id: 'keyword:stop', carrier: true, strong: true },
  { words: ['stopall'], id: 'keyword:stopall', carrier: true, strong: true },
  { words: ['unsubscribe'], id: 'keyword:unsubscribe', carrier: true, strong: true },
  { words: ['quit'], id: 'keyword:quit', carrier: true, strong: true },
  { words: ['revoke'], id: 'keyword:revoke', carrier: true, strong: true },
  { words: ['optout'], id: 'keyword:optout', carrier: true, strong: true },
  { words: ['arret'], id: 'keyword:arret', carrier: true, strong: true },
  { words: ['cancel'], id: 'keyword:cancel', carrier: true, strong: false },
  { words: ['end'], id: 'keyword:end', carrier: true, strong: false },
  { words: ['remove'], id: 'keyword:remove', carrier: true, strong: false },
  { words: ['alto'], id: 'phrase:es-alto', carrier: false, strong: true, unverified: true },
  { words: ['basta'], id: 'phrase:es-basta', carrier: false, strong: true, unverified: true },
  { words: ['cancelar'], id: 'phrase:es-cancelar', carrier: false, strong: false, unverified: true },
  { words: ['baja'], id: 'phrase:es-baja', carrier: false, strong: false, unverified: true },
  { words: ['arrete'], id: 'phrase:fr-arrete', carrier: false, strong: true, unverified: true },
  { words: ['arretez'], id: 'phrase:fr-arrete', carrier: false, strong: true, unverified: true },
  { words: ['arreter'], id: 'phrase:fr-arrete', carrier: false, strong: true, unverified: true },
];

const POLITE = ['please', 'thanks', 'thank', 'porfavor', 'porfa', 'gracias', 'svp', 'merci', 'ok', 'sorry', 'kindly'].map((w) => [w]);

// Insistence: "stop it", "I said stop", "can you stop now". Allowed with strong keywords only,
// so "cancel it" / "cancel now" (the appointment) never becomes an opt-out.
const EMPHATIC = [
  'i said', 'i told you to', 'i told you', 'i asked you to', 'i asked', 'can you', 'could you', 'will you', 'would you',
  'you guys', 'for real', 'right now', 'for the last time', 'just', 'now', 'already', 'asap', 'immediately',
  'again', 'seriously', 'enough', 'it', 'this', 'them', 'guys', 'yall', 'ya', 'ahora', 'oh', 'omg', 'ffs', 'wtf',
  'damn', 'dammit', 'god', 'sir', 'maam', 'man', 'dude', 'bro', 'hey', 'hi', 'hello', 'no', 'lol', 'jesus',
].map((w) => w.split(' '));

function matchAt(list: string[][], words: string[], i: number): number {
  let best = 0;
  for (const seq of list) {
    if (seq.length > best && seq.every((w, k) => words[i + k] === w)) best = seq.length;
  }
  return best;
}

interface KeywordOnly {
  kw: KeywordDef;
  emphatic: boolean;
}

/** The words are nothing but opt-out keywords and politeness (or, with strong keywords, insistence). */
function keywordOnly(words: string[]): KeywordOnly | null {
  let first: KeywordDef | null = null;
  let firstStrong: KeywordDef | null = null;
  let emphatic = false;
  for (let i = 0; i < words.length; ) {
    const kw = KEYWORDS.find((k) => k.words.every((w, j) => words[i + j] === w));
    if (kw) {
      first ??= kw;
      if (kw.strong) firstStrong ??= kw;
      i += kw.words.length;
      continue;
    }
    const polite = matchAt(POLITE, words, i);
    if (polite) {
      i += polite;
      continue;
    }
    const emph = matchAt(EMPHATIC, words, i);
    if (emph) {
      emphatic = true;
      i += emph;
      continue;
    }
    return null;
  }
  if (!first) return null;
  if (emphatic) return firstStrong ? { kw: firstStrong, emphatic } : null;
  return { kw: first, emphatic };
}

function keywordVerdict(k: KeywordOnly): InboundClassification {
  if (!k.kw.carrier) return { intent: 'opt_out', match: 'phrase', rule: k.kw.id };
  if (k.emphatic) return { intent: 'opt_out', match: 'phrase', rule: k.kw.id.replace(/^keyword:/, 'phrase:') + '-request' };
  return { intent: 'opt_out', match: 'keyword', rule: k.kw.id };
}

// Openers that are not about a job, so a keyword next to them still means "stop texting me":
// "who is this stop", "STOP who is this", "Hello?? cancel".
const NON_JOB_LEAD_INS = new Set([
  'who is this', 'whos this', 'who this', 'who dis', 'who is dis', 'who are you', 'who is this please', 'what is this',
  'whats this', 'what', 'huh', 'wtf', 'hello', 'hi', 'hey', 'no', 'nope', 'nah', 'no thanks', 'i dont know you',
  'dont know you', 'idk you', 'idk who this is', 'idk who you are', 'i dont know who this is', 'i never called',
  'i never called you', 'i didnt call', 'i didnt call you', 'never called', 'didnt call', 'spam', 'scam',
  'this is spam', 'this is a scam', 'unknown number', 'new phone who dis', 'new phone who is this',
]);

const LEAD_IN_MAX_WORDS = Math.max(...[...NON_JOB_LEAD_INS].map((l) => l.split(' ').length));

// After a bare strong keyword with no punctuation: "STOP I'm at work", "stop you guys keep texting".
const REASON_OPENERS = new Set(['i', 'im', 'ive', 'id', 'ill', 'we', 'were', 'you', 'youre', 'who', 'why', 'wrong', 'not', 'dont', 'never', 'spam']);

// ---------------------------------------------------------------------------------------------
// Phrase rules

const AMBIGUOUS: Record<string, string> = {
  'ambiguous:stop-in-sentence': '"stop" is used about something other than the texts (e.g. "won\'t stop leaking", "stop by"); pause automation and let a person read it.',
  'ambiguous:cancel-in-sentence': 'A cancellation ("cancel my appointment", "cancel the 3pm") is about the job, but "cancel" is also an opt-out word; a person must read it and reply.',
  'ambiguous:end-in-sentence': '"end" is used about something other than the texts (e.g. "when does the promo end"); pause automation and let a person read it.',
  'ambiguous:quit-in-sentence': '"quit" is used about something other than the texts (e.g. "the toilet won\'t quit running"); pause automation and let a person read it.',
  'ambiguous:remove-in-sentence': '"remove" is used about the job (e.g. "remove the old water heater"); pause automation and let a person read it.',
  'ambiguous:es-keyword-in-sentence': 'A Spanish opt-out word (alto, basta, cancelar) inside a longer sentence (e.g. "quiero cancelar mi cita"); a person must read it.',
  'ambiguous:keyword-sentence-about-job': 'A bare stop word next to talk of the visit ("Stop, don\'t send the tech"): it may call off the job rather than the texts.',
  'ambiguous:weak-keyword-sentence': 'A bare "cancel", "end" or "remove" next to other sentences ("Cancel. Found someone else"): it may call off the job rather than the texts.',
  'ambiguous:negated-revocation': 'The opt-out words are negated ("don\'t stop texting me", "I didn\'t say unsubscribe"); a person must check what was meant.',
  'ambiguous:conditional-request': 'A limited request ("don\'t call before 9", "stop texting so early"): not a clear revocation of all messages; pause and let a person handle it.',
  'ambiguous:remove-from-schedule': '"Remove me" / "take me off" refers to a schedule, appointment or wait list rather than the messages.',
  'ambiguous:unsubscribe-by-mistake': 'Mentions unsubscribing by mistake or wanting back in; a person must check what was meant.',
  'ambiguous:wrong-number-question': 'Asks whether this is the wrong number rather than saying so.',
  'ambiguous:wrong-number-on-file': 'Says a number on file or given to someone is wrong, which may be a correction rather than a revocation.',
  'ambiguous:someone-else': 'Asks to stop messaging someone else (a spouse, a tenant, another phone), not the sender; a person must sort out who wants what.',
  'ambiguous:number-change': 'Talks about a new or different number; a person must update the contact rather than opt the sender out.',
  'ambiguous:not-interested-in-something': '"Not interested in" one option (a plan, a replacement) while the job may still be wanted.',
  'ambiguous:got-no-more': 'Reports that no more messages arrived ("I got no more texts"), which is not a request.',
  'ambiguous:how-got-number': 'Asks how the business got the number: often a prelude to an opt-out, so pause automation and let a person answer.',
  'ambiguous:bare-decline': 'A bare "no" / "no thanks" may decline the service or the messages; pause automation and let a person read it.',
  'ambiguous:hostile': 'Hostile or calls the business a scam without saying to stop; pause automation and let a person read it.',
  'ambiguous:spam-question': 'Asks whether the message is spam or a scam.',
  'ambiguous:didnt-call': 'Says they never called the business; likely a misdial or spoofed caller ID, so pause automation and let a person read it.',
  'ambiguous:es-conditional': 'Spanish "no me mande/llame ..." about something other than messages (e.g. a technician or a time); a person must read it.',
};

/** Where a phrase matched: the match, the rest of its clause either side, the clause, the whole text. */
interface MatchContext {
  match: string;
  before: string;
  after: string;
  clause: string;
  text: string;
}

/** Evidence to the contrary: when `test` holds, the phrase is not taken as an opt-out. */
interface Guard {
  test: (c: MatchContext) => boolean;
  /** 'message': the phrase was not a revocation at all; otherwise the ambiguous rule id. */
  then: string;
}

interface PhraseRule {
  id: string;
  description: string;
  pattern: RegExp;
  guards?: Guard[];
  /** Apply the generic negation guard ("don't want you to stop texting"). */
  negatable?: boolean;
  unverified?: true;
}

const MSG_VERBS = 'texting|messaging|contacting|calling|emailing|bothering|harassing|harrassing|spamming|bugging|pestering|hounding|receiving|hitting me up|blowing up my phone';
const MSG_NOUNS = 'text messages|texts|text|messages|message|notifications|alerts|reminders|spam|robotexts|emails|ads|promotions|promos';
const MSG_NOUNS_PLURAL = 'text messages|texts|messages|notifications|alerts|reminders|robotexts|emails|ads|promotions|promos';
const DETS = '(?:the|these|those|your|you|all|with|of|my|this|them|automated|auto|stupid|damn|fucking|annoying|spam|more|any|sending|me|us|ur|freaking|friggin|bloody)';

const NEGATED_BEFORE = /(?:^|\s)(?:dont|never|not|no need to|didnt mean to|didnt want to|didnt say|didnt ask you to)(?: (?:want|need|you|to|ever|wanna|ask|asking|mean|meant|please|say|said|u))* ?$/;
// "If you don't stop texting me...", "why don't you stop texting me": the negation insists.
const THREAT_BEFORE = /\b(?:if|why|unless|when)(?: (?:you|yall|u|you guys))? (?:dont|not|never)\b[^|]*$/;
const CONDITIONS = '(?:before|after|until|till|til|between|during|while|today|tonight|tomorrow|yet|this early|so early|so late|too early|too late|this late|in the morning|at night|at work|on weekends|on the weekend|on sundays?|this week|for now|at this time|at this hour)';
const CONDITIONAL_AFTER = new RegExp(`^(?: [a-z0-9]+){0,3} ${CONDITIONS}\\b`);
const CALL_REASON = /\b(?:at work|in a meeting|cant talk|cant answer|cant pick up|driving|busy|sleeping|asleep|baby|work nights|night shift|hard of hearing|deaf|hearing impaired)\b/;
const TEXT_PREFERRED = /\b(?:text|message) (?:me|us|instead|only)\b|\b(?:just|only|pls|please) text\b|\btext only\b|\bprefer (?:a |to )?text|\brather (?:you )?text|\bcan text\b|\btext(?:s|ing)? (?:is|are) (?:fine|ok|better|best|good|easier|preferred)\b|(?:^|\| )text(?: \||$)/;
const NUMBER_CHANGE = /\b(?:new number|my new|use this (?:number|one)|this number instead|my other (?:number|phone|cell)|different number|old number|use my (?:cell|work|other|home))\b/;
const SCHEDULE = /^(?: (?:from|off|of|out of))?(?: (?:the|my|your|ur|this|tomorrows|todays|this weeks|next weeks|that))? (?:schedule|appointment|appt|calendar|waitlist|wait list|waiting list|booking|route|job|estimate|visit|service|list for tomorrow|tuesday|monday|wednesday|thursday|friday|saturday|sunday)\b/;

// Only calls are refused ("don't call me"), not texts.
const callOnly = (c: MatchContext): boolean => !/text|message|contact|email|spam|notification|alert|reminder|hear from/.test(c.match);

const CONDITIONAL: Guard = { test: (c) => CONDITIONAL_AFTER.test(c.after) || / my (?:work|home|other)\b/.test(c.match), then: 'ambiguous:conditional-request' };
const CHANGE: Guard = { test: (c) => NUMBER_CHANGE.test(c.text), then: 'ambiguous:number-change' };
// "Stop texting my husband": about another person's phone, not the sender's.
const SOMEONE_ELSE: Guard = {
  test: (c) => /^ (?:my|his|her|our|the) (?:husband|wife|son|daughter|kids?|mom|dad|mother|father|partner|boss|tenants?|landlord|brother|sister|work|office|other|old|wifes|husbands)\b/.test(c.after),
  then: 'ambiguous:someone-else',
};
// "Don't call me, text me instead": they want texts.
const TEXTS_WANTED: Guard = { test: (c) => callOnly(c) && TEXT_PREFERRED.test(c.text), then: 'message' };
// "Please don't call, I'm at work" / "don't call me right now".
const CALL_LATER: Guard = { test: (c) => callOnly(c) && (CALL_REASON.test(c.text) || /^(?: [a-z0-9]+){0,2} (?:right )?now\b/.test(c.after)), then: 'ambiguous:conditional-request' };
const SCHEDULED: Guard = { test: (c) => SCHEDULE.test(c.after), then: 'ambiguous:remove-from-schedule' };

const MSG_VERB_GAP = '(?:(?!(?:by|in|over|and|when|if|to|at)\\b)[a-z0-9]+ ){0,2}';
const DONT_VERBS = '(?:text|message|contact|call|email|txt)';

const PHRASES: PhraseRule[] = [
  {
    id: 'phrase:stop-texting',
    description: '"stop/quit/cease texting|messaging|contacting|calling|bothering..." (up to two words between: "stop f***ing texting me")',
    pattern: new RegExp(`\\b(?:stop|quit|cease|end|halt|stopall) ${MSG_VERB_GAP}(?:${MSG_VERBS})\\b`, 'g'),
    negatable: true,
    guards: [SOMEONE_ELSE, CONDITIONAL],
  },
  {
    id: 'phrase:stop-sending',
    description: '"stop sending (me) texts/these/this", or "stop sending" at the end of a sentence',
    pattern: new RegExp(`\\b(?:stop|quit|cease) sending(?: me| us)?(?:(?: [a-z]+){0,2} (?:${MSG_NOUNS})\\b| (?:these|this|that|stuff|crap|junk|shit)(?= \\||$| (?:to|please|thanks|now|already|ok)\\b)|(?= \\||$))`, 'g'),
    negatable: true,
    guards: [CONDITIONAL],
  },
  {
    id: 'phrase:stop-the-texts',
    description: '"stop/quit/end (the|these|all|your) texts|messages|calls|reminders", "cancel (the) texts", "cease and desist"',
    pattern: new RegExp(`\\b(?:(?:stop|quit|cease|halt|stopall) (?:${DETS} ){0,4}(?:${MSG_NOUNS}|calls|robocalls)|(?:cancel|end|unsubscribe from) (?:${DETS} ){0,4}(?:${MSG_NOUNS_PLURAL})|cease and desist)\\b`, 'g'),
    negatable: true,
    guards: [CONDITIONAL],
  },
  {
    id: 'phrase:dont-text-me',
    description: '"(don\'t|do not|never) (text|message|contact|call)( or call)* (me|us|this number|again|anymore)" or at the end of a sentence; "don\'t send me texts"',
    pattern: new RegExp(
      `\\b(?:dont|never|(?:can|could|would|will) you (?:please )?not|please not)(?: (?:ever|even|again|you))* ${DONT_VERBS}(?:(?: or| and| nor|) ${DONT_VERBS})*(?: (?:me|us|this number|this phone|my (?:work |home |other |cell )?(?:number|phone|cell)|again|anymore|any more|ever|no more|here)\\b|(?= \\||$)|(?= ${CONDITIONS}\\b))` +
        `|\\bdont (?:ever )?send (?:me|us) (?:any |more |anymore |these )*(?:${MSG_NOUNS})\\b`,
      'g',
    ),
    guards: [
      // "you never call me back" is a complaint about service; "don't call me back" may be one too.
      { test: (c) => /^ back\b/.test(c.after) && c.match.startsWith('never'), then: 'message' },
      { test: (c) => /^ back\b/.test(c.after), then: 'ambiguous:conditional-request' },
      SOMEONE_ELSE,
      TEXTS_WANTED,
      CALL_LATER,
      CONDITIONAL,
      CHANGE,
    ],
  },
  {
    id: 'phrase:dont-want-texts',
    description: '"I don\'t want / no longer wish to receive (any|these) texts|messages|calls", "don\'t want to be contacted", "don\'t want to hear from you"',
    pattern: new RegExp(
      `\\b(?:dont|no longer|never)(?: really)? (?:want|wish|need|like|care for)(?: you| yall| anyone)?(?: to)?(?: (?:receive|get|getting|receiving|be|keep getting|keep receiving|any|these|your|more|the|ur|those|this|anymore|all|of|further|automated|spam))* (?:${MSG_NOUNS}|calls|contacted|texted|messaged|called|spammed|bothered|texting|messaging|calling|contacting)\\b` +
        `|\\bdont want to hear from (?:you|yall|your company|anyone)\\b`,
      'g',
    ),
    guards: [TEXTS_WANTED, CALL_LATER, CONDITIONAL, CHANGE],
  },
  {
    id: 'phrase:texts-to-stop',
    description: '"I want these texts to stop", "the messages need to stop"; "I said/texted/replied stop", "what part of stop..."',
    pattern: new RegExp(
      `\\b(?:${MSG_NOUNS_PLURAL}|calls|texting|messaging|calling) (?:need to|needs to|have to|has to|must|to|should|will|gotta|got to|better) stop(?= \\||$| (?:please|now|thanks|already|asap|immediately|right now|for good|ok)\\b)` +
        `|\\b(?:say|said|saying|type|typed|text|texted|reply|replied|sent|send|wrote|write|told you) (?:you )?stop(?! (?:valves?|taps?|cocks?|signs?|by|in|at|over|the|my|our|your|a|an|leak|leaking|running|dripping)\\b)` +
        `|\\bpart of stop\\b`,
      'g',
    ),
    negatable: true,
  },
  {
    id: 'phrase:leave-me-alone',
    description: '"leave me alone", "leave me be", "don\'t bother me"',
    pattern: /\bleave (?:me|us|my phone|my number) (?:alone|be)\b|\bdont bother (?:me|us)\b/g,
    negatable: true,
  },
  {
    id: 'phrase:remove-me',
    description: '"remove me/my number (from your list)", "remove from your list"',
    pattern: /\bremove (?:me|us|my (?:number|phone|phone number|cell|name|info|information|contact|contact info|details|data)|this (?:number|phone))\b|\bremove (?:from|off) (?:your|the|this|my) (?:list|mailing list|texting list|text list|contact list|contacts|database|system|sms list)\b/g,
    negatable: true,
    guards: [SCHEDULED, CHANGE],
  },
  {
    id: 'phrase:take-me-off',
    description: '"take me off (your|the) list", "take my number off", "get me out of your system"',
    pattern: /\btake (?:me|us|my (?:number|name|info|phone|phone number)|this number) (?:off|of|out)\b|\bget (?:me|my number) (?:off|out of) (?:your|the|ur) (?:list|system|database|contacts)\b/g,
    negatable: true,
    guards: [SCHEDULED, CHANGE],
  },
  {
    id: 'phrase:do-not-contact-list',
    description: '"put me on your do-not-call/text list", "DNC"',
    pattern: /\b(?:dont|dnc) (?:call|text|contact|txt|message) list\b|\bdnc\b/g,
  },
  {
    id: 'phrase:unsubscribe',
    description: '"unsubscribe" (or a near spelling) anywhere, "I already unsubscribed"',
    pattern: /\bunsubscrib(?:e|ed|ing)\b/g,
    negatable: true,
    guards: [{ test: (c) => /\b(?:accident|accidentally|mistake|mistakenly|didnt mean|resubscribe|subscribe me again|add me back|sign me back|put me back)\b/.test(c.text), then: 'ambiguous:unsubscribe-by-mistake' }],
  },
  {
    id: 'phrase:opt-out',
    description: '"opt (me) out", "opted out", "opting out" anywhere',
    pattern: /\bopt(?:ed|ing)? (?:me |us |my number )?out\b|\boptout\b/g,
    negatable: true,
    guards: [{ test: (c) => /\b(?:accident|accidentally|mistake|mistakenly|didnt mean|opt (?:me )?(?:back )?in|add me back)\b/.test(c.text), then: 'ambiguous:unsubscribe-by-mistake' }],
  },
  {
    id: 'phrase:revoke-consent',
    description: '"revoke" anywhere; "withdraw/rescind my consent|permission"',
    pattern: /\brevok(?:e|ed|ing)\b|\b(?:withdraw|withdrawing|rescind|rescinding|cancel|retract)(?: (?:my|all|any|the|your))? (?:consent|permission|authorization|authorisation)\b/g,
    negatable: true,
  },
  {
    id: 'phrase:no-consent',
    description: '"I don\'t consent", "you don\'t have my permission", "never signed up for this", "without my consent"',
    pattern: /\b(?:dont|didnt|never) (?:consent|authorize|give (?:you )?(?:my )?(?:consent|permission)|gave (?:you )?(?:my )?(?:consent|permission)|have (?:my )?(?:consent|permission)|agree(?:d)? to (?:receive|get|getting|be texted|be contacted|texts|messages|any texts|this)|sign(?:ed)? up(?: for (?:this|these|texts|messages|anything|any of this|your texts)\b|(?= \||$)))|\bno (?:consent|permission)\b|\bwithout (?:my )?(?:consent|permission)\b/g,
  },
  {
    id: 'phrase:no-more-texts',
    description: '"no more (texts|messages|calls)", "no further messages"; "no more" or "no texts please" as a sentence',
    pattern: new RegExp(`\\bno (?:more|further|additional) (?:[a-z]+ )?(?:${MSG_NOUNS}|calls|texting|contact)\\b|(?:^|\\| )no (?:more|texts|text messages|messages|texting|contact)(?: please| thanks| porfavor)*(?= \\||$)`, 'g'),
    guards: [{ test: (c) => /\b(?:got|get|gotten|received|receive|getting|had|have|seen|saw|there were|were)\s*$/.test(c.before), then: 'ambiguous:got-no-more' }],
  },
  {
    id: 'phrase:wrong-number',
    description: '"wrong number/person", "wrong #", "not the right number", "you have the wrong ...", "I\'m not who you think", "no one here by that name"',
    pattern: /\bwrong (?:number|num|no|nbr|person|phone|guy|girl|lady|contact|persons number)\b|\b(?:not|isnt) (?:the )?(?:right|correct) (?:number|person)\b|\byou have the wrong\b|\bnot who you think\b|\bno (?:one|body) (?:here )?(?:by|named|with) that name\b/g,
    guards: [
      { test: (c) => /\b(?:is this|is it|is that|did i|do i have|do you have|have i got|did you get|am i texting|maybe)(?: [a-z0-9]+){0,3} ?$/.test(c.before), then: 'ambiguous:wrong-number-question' },
      { test: (c) => /\b(?:tech|technician|office|he|she|they|system|invoice|file|account|website|google|yelp|receptionist|form|listing|gave|wrote down|for me|listed|put down|typed)\b/.test(c.clause), then: 'ambiguous:wrong-number-on-file' },
      CHANGE,
    ],
  },
  {
    id: 'phrase:not-interested',
    description: '"not interested" (and misspellings), "no longer interested", "no interest"',
    pattern: /\b(?:not|no longer|nt|isnt|aint|arent)(?: really| very| at all| even)? (?:interested|intrested|intersted|interessted|interesed|intereted|interseted|intrested)\b|\bno interest\b/g,
    guards: [{ test: (c) => /^ in (?!(?:you|your|ur|this|these|that|it|any|anything|hearing|being|receiving|getting|texts|messages|offers|services|whatever|what|buying|selling)\b)/.test(c.after), then: 'ambiguous:not-interested-in-something' }],
  },
  {
    id: 'phrase:lose-my-number',
    description: '"lose/delete/forget/erase my number|info|contact"',
    pattern: /\b(?:lose|delete|forget|erase|purge|scrub|remove|drop|trash) (?:my|this|our|the) (?:number|phone number|cell|cell number|info|information|contact|contact info|contact information|details|data|phone)\b/g,
    negatable: true,
    guards: [CHANGE],
  },
  {
    id: 'phrase:go-away',
    description: '"go away", "get lost", "f*** off", "shut up", "gtfo"',
    pattern: /\b(?:go away|get lost|piss off|fuck off|f off|eff off|buzz off|bugger off|screw off|sod off|gtfo|stfu|shut up)\b/g,
    negatable: true,
  },
  {
    id: 'phrase:spam',
    description: 'Calls the message spam as a statement ("spam", "this is spam", "stop spamming") or reports/blocks the sender',
    pattern: /(?:^|\| )(?:this is |thats |its |this is a |this is just |more )?(?:spam|spammer|spam text|spam texts|junk text|junk texts)(?: \||$)|\b(?:report(?:ed|ing)?|flag(?:ged|ging)?|mark(?:ed|ing)?)(?: you| this| this number| your number| it)? (?:as|for) spam\b|\breport(?:ed|ing)? (?:you |this(?: number)? |your number )?to (?:the )?(?:fcc|ftc|attorney general|carrier|att|verizon|t mobile|tmobile|7726)\b|\bblock(?:ed|ing)? (?:you|yall|your number|this number|the number|ur number|your company)\b|\b(?:gonna|going to|will|ill|im) block\b/g,
  },
  // Spanish and French (compliance.md 1.3 marks these [U]: not checked with native speakers).
  {
    id: 'phrase:es-no-me-escriba',
    description: 'Spanish "(ya) no me escriba(n)/mande(n)/envíe(n)/llame(n)/moleste(n) (mensajes|más)"',
    pattern: /\bno (?:me |nos )?(?:escriba|escriban|escribas|mande|manden|mandes|envie|envien|envies|contacte|contacten|llame|llamen|moleste|molesten)\b/g,
    guards: [{ test: (c) => /^ (?!(?:mensajes|mas|textos|text|nada|porfavor|porfa|gracias|ya|nunca|otra|por|de nuevo|mensaje|sms)\b)[a-z]/.test(c.after), then: 'ambiguous:es-conditional' }],
    unverified: true,
  },
  {
    id: 'phrase:es-no-quiero-mensajes',
    description: 'Spanish "no quiero/deseo (recibir) (más) mensajes|textos|llamadas", "no más mensajes", "no me interesa"',
    pattern: /\bno (?:quiero|deseo|necesito) (?:recibir |mas |ningun |ningunos |sus |estos |los )*(?:mensajes|textos|text|llamadas)\b|\bno mas (?:mensajes|textos|llamadas)\b|\bno me interesa\b/g,
    unverified: true,
  },
  {
    id: 'phrase:es-dejen-de',
    description: 'Spanish "deje(n) de escribirme/mandarme/enviarme/llamarme/molestarme", "(favor de) no escribirme"',
    pattern: /\b(?:deje|dejen|deja|dejar) de (?:escribirme|escribir|mandarme|mandar|enviarme|enviar|llamarme|llamar|molestarme|molestar|contactarme)\b|\bno (?:me )?(?:escribirme|mandarme|enviarme|llamarme|contactarme|molestarme)\b/g,
    unverified: true,
  },
  {
    id: 'phrase:es-numero-equivocado',
    description: 'Spanish "número equivocado"',
    pattern: /\bnumero equivocado\b|\bequivocado de numero\b|\bse equivoco de numero\b/g,
    unverified: true,
  },
  {
    id: 'phrase:es-borrar-numero',
    description: 'Spanish "borre(n)/eliminen mi número", "sáquenme/quítenme de la lista"',
    pattern: /\b(?:borre|borren|borrar|borra|elimine|eliminen|eliminar|elimina) (?:mi|este) (?:numero|telefono|contacto)\b|\b(?:saquenme|sacame|saqueme|quitenme|quitame|quiteme) de (?:la|su|sus|tu) (?:lista|contactos)\b/g,
    unverified: true,
  },
  {
    id: 'phrase:es-basta',
    description: 'Spanish "basta (ya) de mensajes", "ya basta"',
    pattern: /\bya basta\b|\bbasta de (?:mensajes|textos|llamadas)\b/g,
    unverified: true,
  },
  {
    id: 'phrase:fr-arrete',
    description: 'French "arrête(z) de m\'écrire/m\'appeler/me texter", "désabonner"',
    pattern: /\barret(?:e|ez|er)? de (?:mecrire|mappeler|me texter|me contacter|menvoyer|nous ecrire)\b|\b(?:me )?desabonn[a-z]*\b|\bdesinscri[a-z]*\b/g,
    unverified: true,
  },
];

// Ambiguous signals that are not keywords.
const AMBIGUOUS_PATTERNS: Array<[string, RegExp]> = [
  ['ambiguous:how-got-number', /\b(?:how|where|why) (?:did|do|does) (?:you|yall|your company) (?:get|have|find|got) (?:my|this) (?:number|info|contact|phone)\b|\bwho gave (?:you|yall) (?:my|this) (?:number|info)\b|\bhow do you (?:have|know) (?:my|this)\b/],
  ['ambiguous:spam-question', /(?:^|\| )(?:is this|is it|are you|is that) (?:a |just )?(?:spam|scam|legit|spammer|scammer)\b/],
  ['ambiguous:hostile', /\b(?:fuck you|f you|screw you|go to hell|scam|scammer|scammers|scamming)\b/],
  ['ambiguous:didnt-call', /\bi (?:didnt|never) (?:call|text|contact|reach out to) (?:you|yall|this number|anyone|your)\b|(?:^|\| )(?:i )?(?:didnt|never) call(?:ed)?(?= \||$)/],
];

const BARE_DECLINES = new Set([
  'no', 'nope', 'nah', 'no thanks', 'nah thanks', 'no sorry', 'sorry no', 'no im good', 'nah im good', 'no were good',
  'im good', 'no need', 'not now', 'no thanks im good', 'nope thanks', 'no gracias', 'lol no', 'no no',
]);

// Fixed names of things that contain a keyword word but can never ask anything to stop: an end
// unit, a dead end, a curb stop valve. Masked before looking for keyword words in a sentence.
const BENIGN = new RegExp(
  [
    'end units?', '(?:dead|far|back|rear|deep|front|other|north|south|east|west|upper|lower|high|low|top|bottom|left|right|one|each|either|both|tail|shallow) ends?',
    '(?:at |by |near |towards |toward |around |till |until |before )?the end of (?:the )?[a-z0-9]+', 'end of (?:the |this |next )?(?:day|week|month|year|street|road|block|hall|hallway|driveway|lane|line|pipe)',
    'end (?:caps?|tables?|walls?|of day|of week|of month)', '(?:month|year|week) end',
    '(?:curb|kerb|water|main|bus|truck|pit|door|shut off|shutoff) stops?', 'stop (?:valves?|taps?|cocks?|signs?|and go|light)', 'non stop', 'one stop shop',
  ]
    .map((p) => `\\b${p}\\b`)
    .join('|'),
  'g',
);

const IN_SENTENCE: Array<[RegExp, string]> = [
  [/\b(?:stop|stopall|arret)\b/, 'ambiguous:stop-in-sentence'],
  [/\b(?:cancel|cancels|canceled|cancelled|canceling|cancelling|cancellation)\b/, 'ambiguous:cancel-in-sentence'],
  [/\bend\b/, 'ambiguous:end-in-sentence'],
  [/\bquit\b/, 'ambiguous:quit-in-sentence'],
  [/\bremove\b/, 'ambiguous:remove-in-sentence'],
  [/\b(?:alto|basta|cancelar)\b/, 'ambiguous:es-keyword-in-sentence'],
];

const JOB_TALK = /\b(?:send|sending|come|coming|tech|technician|appointment|appt|visit|job|order|dispatch|truck|crew|estimate|quote|install|installation|repair|service call|booking|booked|reschedule)\b/;

// ---------------------------------------------------------------------------------------------
// The classifier

function ambiguous(rule: string): InboundClassification {
  return { intent: 'ambiguous', rule, explanation: AMBIGUOUS[rule] ?? rule };
}

/**
 * Classifies an inbound text. Opt-out wins over ambiguous, ambiguous over an ordinary message.
 *
 * match 'keyword' means the text is a keyword with at most politeness or repetition around it
 * ("stop please", "STOP STOP"). Carriers match exact keywords only, so whether the provider has
 * already auto-replied is `classifyKeyword(body) !== null`, not `match === 'keyword'`.
 */
export function classifyInbound(body: string): InboundClassification {
  const a = analyse(body);

  // Exactly what the carriers match (and what classifyKeyword has always returned).
  const exact = classifyKeyword(body);
  if (exact === 'opt_in') return { intent: 'opt_in', rule: `opt-in:${a.text || 'keyword'}` };
  if (exact === 'help') return { intent: 'help', rule: `help:${a.text || 'keyword'}` };
  if (exact === 'opt_out') {
    const k = keywordOnly(a.words);
    return { intent: 'opt_out', match: 'keyword', rule: k?.kw.carrier ? k.kw.id : 'keyword:exact' };
  }
  if (a.words.length === 0) return { intent: 'message' };

  // The whole text is a keyword with politeness or insistence: "stop please", "STOP STOP", "stop it".
  const whole = keywordOnly(a.words);
  if (whole) return keywordVerdict(whole);

  const candidates: InboundClassification[] = [];
  const optOut = (rule: string): InboundClassification => ({ intent: 'opt_out', match: 'phrase', rule });

  // A keyword with an opener that is not about the job: "who is this stop", "STOP who is this".
  const n = a.words.length;
  for (let i = 1; i < n && i <= LEAD_IN_MAX_WORDS; i++) {
    const head = a.words.slice(0, i);
    const tail = a.words.slice(n - i);
    if ((NON_JOB_LEAD_INS.has(head.join(' ')) && keywordOnly(a.words.slice(i))) || (NON_JOB_LEAD_INS.has(tail.join(' ')) && keywordOnly(a.words.slice(0, n - i)))) {
      candidates.push(optOut('phrase:keyword-with-lead-in'));
      break;
    }
  }

  // Phrase revocations, each with its evidence to the contrary.
  for (const rule of PHRASES) {
    for (const m of a.text.matchAll(rule.pattern)) {
      const start = m.index;
      const end = start + m[0].length;
      const clauseStart = a.text.lastIndexOf('|', start) + 1;
      const nextBar = a.text.indexOf('|', end);
      const clauseEnd = nextBar === -1 ? a.text.length : nextBar;
      const before = a.text.slice(clauseStart, start);
      const after = a.text.slice(end, clauseEnd).trimEnd();
      const context: MatchContext = { match: m[0], before, after, clause: a.text.slice(clauseStart, clauseEnd), text: a.text };
      let verdict: string | null = null;
      if (rule.negatable && NEGATED_BEFORE.test(before) && !THREAT_BEFORE.test(before)) verdict = 'ambiguous:negated-revocation';
      verdict ??= rule.guards?.find((g) => g.test(context))?.then ?? null;
      if (verdict === null) candidates.push(optOut(rule.id));
      else if (verdict !== 'message') candidates.push(ambiguous(verdict));
    }
  }

  // A keyword that is a sentence of its own: "Who is this?? STOP", "Stop. I never called you".
  if (a.clauses.length > 1) {
    a.clauses.forEach((clause, i) => {
      const k = keywordOnly(clause);
      if (!k) return;
      const others = a.clauses.filter((_, j) => j !== i).map((c) => c.join(' ')).join(' | ');
      if (!k.kw.strong) candidates.push(ambiguous(k.kw.carrier ? 'ambiguous:weak-keyword-sentence' : 'ambiguous:es-keyword-in-sentence'));
      else if (JOB_TALK.test(others)) candidates.push(ambiguous('ambiguous:keyword-sentence-about-job'));
      else candidates.push(optOut('phrase:keyword-sentence'));
    });
  }

  // A strong keyword, then a reason, with no punctuation: "STOP I'm at work", "stop you guys keep texting".
  const opening = a.clauses[0]!;
  const first = KEYWORDS.find((k) => k.strong && k.carrier && k.words.every((w, j) => opening[j] === w));
  if (first && REASON_OPENERS.has(opening[first.words.length] ?? '')) candidates.push(optOut('phrase:keyword-then-reason'));

  const decided = candidates.find((c) => c.intent === 'opt_out') ?? candidates.find((c) => c.intent === 'ambiguous');
  if (decided) return decided;

  if (BARE_DECLINES.has(a.words.join(' '))) return ambiguous('ambiguous:bare-decline');
  for (const [rule, re] of AMBIGUOUS_PATTERNS) if (re.test(a.text)) return ambiguous(rule);

  const masked = a.text.replace(BENIGN, ' ');
  for (const [re, rule] of IN_SENTENCE) if (re.test(masked)) return ambiguous(rule);
  return { intent: 'message' };
}

// ---------------------------------------------------------------------------------------------
// The catalogue, for the evidence trail and for review screens.

function catalogue(): RuleInfo[] {
  const rules = new Map<string, RuleInfo>();
  const add = (r: RuleInfo): void => {
    const had = rules.get(r.id);
    rules.set(r.id, had ? { ...had, description: `${had.description}; ${r.description}` } : r);
  };
  for (const k of KEYWORDS) {
    const words = k.words.join(' ');
    const unverified = k.unverified ? { unverified: true as const } : {};
    add({ id: k.id, intent: 'opt_out', description: `The whole text is "${words}", alone, repeated or with polite words ("please", "thanks")`, ...unverified });
    if (k.carrier && k.strong) {
      add({ id: k.id.replace(/^keyword:/, 'phrase:') + '-request', intent: 'opt_out', description: `"${words}" with insistence only ("${words} it", "I said ${words}", "${words} now")` });
    }
  }
  add({ id: 'keyword:exact', intent: 'opt_out', description: 'An exact carrier keyword (classifyKeyword)' });
  add({ id: 'phrase:keyword-with-lead-in', intent: 'opt_out', description: 'A keyword next to an opener that is not about a job ("who is this stop", "Hello? cancel")' });
  add({ id: 'phrase:keyword-sentence', intent: 'opt_out', description: 'A stop word as a sentence of its own beside other sentences ("Who is this?? STOP")' });
  add({ id: 'phrase:keyword-then-reason', intent: 'opt_out', description: 'Starts with a stop word followed by a reason ("STOP I\'m at work")' });
  for (const p of PHRASES) add({ id: p.id, intent: 'opt_out', description: p.description, ...(p.unverified ? { unverified: true as const } : {}) });
  for (const [id, description] of Object.entries(AMBIGUOUS)) add({ id, intent: 'ambiguous', description });
  add({ id: 'opt-in:start', intent: 'opt_in', description: 'The whole text is START' });
  add({ id: 'opt-in:unstop', intent: 'opt_in', description: 'The whole text is UNSTOP' });
  add({ id: 'opt-in:yes', intent: 'opt_in', description: 'The whole text is YES (re-subscribes only a suppressed contact)' });
  add({ id: 'help:help', intent: 'help', description: 'The whole text is HELP' });
  add({ id: 'help:info', intent: 'help', description: 'The whole text is INFO' });
  return [...rules.values()];
}

/** Every rule id classifyInbound() can return, with what it means. */
export const RULES: readonly RuleInfo[] = catalogue();

// ---------------------------------------------------------------------------------------------
// Evaluation against a labelled corpus (data/opt-out-corpus.json), for the tests and the report.

export type CaseKind = 'keyword' | 'phrase' | 'service' | 'other';

export interface LabelledCase {
  text: string;
  label: InboundIntent;
  kind: CaseKind;
  note?: string;
}

export const INTENTS: readonly InboundIntent[] = ['opt_out', 'ambiguous', 'message', 'opt_in', 'help'];
export const CASE_KINDS: readonly CaseKind[] = ['keyword', 'phrase', 'service', 'other'];

export interface Outcome {
  case: LabelledCase;
  got: InboundClassification;
}

export interface Evaluation {
  outcomes: Outcome[];
  /** confusion[label][got] */
  confusion: Record<InboundIntent, Record<InboundIntent, number>>;
  perKind: Record<CaseKind, { cases: number; correct: number }>;
  /** Ordinary replies (kind 'service' or label 'message') that we would have unsubscribed. */
  falseOptOuts: Outcome[];
  serviceOrMessageCases: number;
  falseOptOutRate: number;
  /** Opt-out cases not classified opt_out; 'hard' ones fell all the way to 'message'. */
  missedOptOuts: Outcome[];
  hardMisses: Outcome[];
  optOutCases: number;
  missRate: number;
  mismatches: Outcome[];
}

export function evaluate(cases: readonly LabelledCase[]): Evaluation {
  const zero = (): Record<InboundIntent, number> => ({ opt_out: 0, ambiguous: 0, message: 0, opt_in: 0, help: 0 });
  const confusion = { opt_out: zero(), ambiguous: zero(), message: zero(), opt_in: zero(), help: zero() };
  const perKind = { keyword: { cases: 0, correct: 0 }, phrase: { cases: 0, correct: 0 }, service: { cases: 0, correct: 0 }, other: { cases: 0, correct: 0 } };
  const outcomes = cases.map((c): Outcome => ({ case: c, got: classifyInbound(c.text) }));
  for (const o of outcomes) {
    confusion[o.case.label][o.got.intent]++;
    perKind[o.case.kind].cases++;
    if (o.got.intent === o.case.label) perKind[o.case.kind].correct++;
  }
  const ordinary = outcomes.filter((o) => o.case.kind === 'service' || o.case.label === 'message');
  const optOuts = outcomes.filter((o) => o.case.label === 'opt_out');
  const falseOptOuts = ordinary.filter((o) => o.got.intent === 'opt_out');
  const missedOptOuts = optOuts.filter((o) => o.got.intent !== 'opt_out');
  return {
    outcomes,
    confusion,
    perKind,
    falseOptOuts,
    serviceOrMessageCases: ordinary.length,
    falseOptOutRate: ordinary.length ? falseOptOuts.length / ordinary.length : 0,
    missedOptOuts,
    hardMisses: missedOptOuts.filter((o) => o.got.intent === 'message'),
    optOutCases: optOuts.length,
    missRate: optOuts.length ? missedOptOuts.length / optOuts.length : 0,
    mismatches: outcomes.filter((o) => o.got.intent !== o.case.label),
  };
}
