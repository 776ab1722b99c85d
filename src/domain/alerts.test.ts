import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SMS_MAX_CHARACTERS,
  buildAlert,
  buildDigest,
  checkAlertPrefs,
  defaultAlertPrefs,
  describeWho,
  findEmergencyWord,
  nextDigestAt,
  planAlertTiming,
  quietTimeEnd,
  readAlertPrefs,
  renderAlertEmail,
  type AlertPrefs,
  type QuietHours,
} from './alerts.ts';
import { measureText } from './templates.ts';

const DEFAULT_WORDS = ['flood', 'flooding', 'burst pipe', 'no heat', 'emergency', 'gas leak', 'no water'];

const emergencyCases: Array<{ text: string; words?: string[]; want: string | null }> = [
  { text: 'my basement is flooding', want: 'flooding' },
  { text: 'FLOODING!!!', want: 'flooding' },
  { text: 'we have a flood in the kitchen', want: 'flood' },
  { text: 'the floodlight is broken', want: null },
  { text: 'a burst pipe upstairs', want: 'burst pipe' },
  { text: 'Burst\n  Pipe in the attic', want: 'burst pipe' },
  { text: 'burstpipe', want: null },
  { text: 'there is no heat since last night', want: 'no heat' },
  { text: 'no heating oil delivery needed', want: null },
  { text: 'Emergency: gas smell', want: 'emergency' },
  { text: 'non-emergency question about pricing', want: 'emergency' }, // whole words: "non-emergency" contains the word
  { text: 'emergencyroom', want: null },
  { text: 'we smell a gas leak.', want: 'gas leak' },
  { text: 'Water heater is leaking, can you come today?', want: null },
  { text: 'anything', words: [], want: null },
  { text: 'c++ broke (really)', words: ['c++', '(really)'], want: 'c++' },
  { text: 'el sótano se inunda', words: ['inunda'], want: 'inunda' },
  { text: 'inundación', words: ['inunda'], want: null },
  { text: 'Help, water everywhere', words: ['  water   everywhere  '], want: 'water   everywhere' },
];

test('emergency words match whole words, any case, flexible spaces', () => {
  for (const c of emergencyCases) {
    assert.equal(findEmergencyWord(c.text, c.words ?? DEFAULT_WORDS), c.want, c.text);
  }
});

// New York: UTC-4 in summer, UTC-5 in winter. 2026-03-08 springs forward at 02:00 local,
// 2026-11-01 falls back at 02:00 local.
const NY = 'America/New_York';
const night: QuietHours = { start: '22:00', end: '07:00' };
const lunch: QuietHours = { start: '12:00', end: '13:30' };
const quietCases: Array<{ name: string; at: string; quiet: QuietHours | null; tz?: string; want: string | null }> = [
  { name: 'no quiet time', at: '2026-06-10T03:30:00Z', quiet: null, want: null },
  { name: '23:30 before midnight: ends tomorrow 07:00', at: '2026-06-10T03:30:00Z', quiet: night, want: '2026-06-10T11:00:00.000Z' },
  { name: '02:00 after midnight: ends today 07:00', at: '2026-06-10T06:00:00Z', quiet: night, want: '2026-06-10T11:00:00.000Z' },
  { name: '22:00 exactly is quiet (start inclusive)', at: '2026-06-10T02:00:00Z', quiet: night, want: '2026-06-10T11:00:00.000Z' },
  { name: '07:00 exactly is not (end exclusive)', at: '2026-06-10T11:00:00Z', quiet: night, want: null },
  { name: '21:59 is not', at: '2026-06-10T01:59:00Z', quiet: night, want: null },
  { name: 'midday range, inside', at: '2026-06-10T16:15:00Z', quiet: lunch, want: '2026-06-10T17:30:00.000Z' },
  { name: 'midday range, after', at: '2026-06-10T17:30:00Z', quiet: lunch, want: null },
  { name: 'midday range, before', at: '2026-06-10T15:59:00Z', quiet: lunch, want: null },
  // The night the clocks spring forward: 23:00 EST → 07:00 EDT is 8 hours, not 9.
  { name: 'spring forward night', at: '2026-03-08T04:00:00Z', quiet: night, want: '2026-03-08T11:00:00.000Z' },
  // The night the clocks fall back: 23:00 EDT → 07:00 EST is 10 hours.
  { name: 'fall back night', at: '2026-11-01T03:00:00Z', quiet: night, want: '2026-11-01T12:00:00.000Z' },
  { name: 'fall back, in the repeated hour', at: '2026-11-01T06:30:00Z', quiet: night, want: '2026-11-01T12:00:00.000Z' },
  // Quiet time ending at 02:30 on spring-forward day: 02:30 does not exist; it ends when the clocks jump.
  { name: 'end time skipped by spring forward', at: '2026-03-08T05:00:00Z', quiet: { start: '23:00', end: '02:30' }, want: '2026-03-08T07:30:00.000Z' },
  { name: 'another zone: Tokyo (no DST)', at: '2026-06-10T14:00:00Z', quiet: night, tz: 'Asia/Tokyo', want: '2026-06-10T22:00:00.000Z' },
  { name: 'half-hour zone: Kolkata', at: '2026-06-10T17:00:00Z', quiet: night, tz: 'Asia/Kolkata', want: '2026-06-11T01:30:00.000Z' },
  { name: 'start == end is never quiet (refused on save)', at: '2026-06-10T03:30:00Z', quiet: { start: '09:00', end: '09:00' }, want: null },
];

test('quiet time: when it ends, across midnight and DST', () => {
  for (const c of quietCases) {
    const got = quietTimeEnd(new Date(c.at), c.quiet, c.tz ?? NY);
    assert.equal(got?.toISOString() ?? null, c.want, c.name);
  }
});

const digestCases: Array<{ name: string; at: string; digest: 'hourly' | 'daily'; tz?: string; want: string }> = [
  { name: 'hourly: next top of the hour', at: '2026-06-10T14:05:30Z', digest: 'hourly', want: '2026-06-10T15:00:00.000Z' },
  { name: 'hourly: on the hour goes to the next', at: '2026-06-10T14:00:00Z', digest: 'hourly', want: '2026-06-10T15:00:00.000Z' },
  { name: 'hourly in a half-hour zone uses the local hour', at: '2026-06-10T14:05:00Z', digest: 'hourly', tz: 'Asia/Kolkata', want: '2026-06-10T14:30:00.000Z' },
  { name: 'daily before 08:00: today 08:00', at: '2026-06-10T10:00:00Z', digest: 'daily', want: '2026-06-10T12:00:00.000Z' },
  { name: 'daily after 08:00: tomorrow 08:00', at: '2026-06-10T12:00:00Z', digest: 'daily', want: '2026-06-11T12:00:00.000Z' },
  { name: 'daily across spring forward', at: '2026-03-07T20:00:00Z', digest: 'daily', want: '2026-03-08T12:00:00.000Z' },
  { name: 'daily across fall back', at: '2026-10-31T20:00:00Z', digest: 'daily', want: '2026-11-01T13:00:00.000Z' },
];

test('digest times: hourly on the local hour, daily at 08:00 local', () => {
  for (const c of digestCases) {
    assert.equal(nextDigestAt(new Date(c.at), c.digest, c.tz ?? NY).toISOString(), c.want, c.name);
  }
});

const prefs = (p: Partial<AlertPrefs>): AlertPrefs => ({ ...defaultAlertPrefs('owner'), ...p });
const timingCases: Array<{ name: string; at: string; prefs: AlertPrefs; urgent?: boolean; want: { status: string; deliverAfter: string; fold: boolean } }> = [
  { name: 'no quiet time: now', at: '2026-06-10T03:30:00Z', prefs: prefs({}), want: { status: 'pending', deliverAfter: '2026-06-10T03:30:00.000Z', fold: false } },
  { name: 'quiet, hold: held to the end', at: '2026-06-10T03:30:00Z', prefs: prefs({ quietHours: night }), want: { status: 'held', deliverAfter: '2026-06-10T11:00:00.000Z', fold: false } },
  { name: 'quiet, digest: folded at the end', at: '2026-06-10T03:30:00Z', prefs: prefs({ quietHours: night, duringQuietHours: 'digest' }), want: { status: 'held', deliverAfter: '2026-06-10T11:00:00.000Z', fold: true } },
  { name: 'quiet but urgent: now', at: '2026-06-10T03:30:00Z', prefs: prefs({ quietHours: night, digest: 'daily' }), urgent: true, want: { status: 'pending', deliverAfter: '2026-06-10T03:30:00.000Z', fold: false } },
  { name: 'hourly digest, awake', at: '2026-06-10T14:05:00Z', prefs: prefs({ digest: 'hourly' }), want: { status: 'held', deliverAfter: '2026-06-10T15:00:00.000Z', fold: true } },
  { name: 'hourly digest falling in quiet time waits for its end', at: '2026-06-10T01:30:00Z', prefs: prefs({ digest: 'hourly', quietHours: night }), want: { status: 'held', deliverAfter: '2026-06-10T11:00:00.000Z', fold: true } },
  { name: 'daily digest at 08:00 is after quiet time', at: '2026-06-10T03:30:00Z', prefs: prefs({ digest: 'daily', quietHours: night }), want: { status: 'held', deliverAfter: '2026-06-10T12:00:00.000Z', fold: true } },
  { name: 'daily digest at 08:00 inside a 22:00-09:00 quiet time goes at 09:00', at: '2026-06-10T03:30:00Z', prefs: prefs({ digest: 'daily', quietHours: { start: '22:00', end: '09:00' } }), want: { status: 'held', deliverAfter: '2026-06-10T13:00:00.000Z', fold: true } },
];

test('alert timing: now, held through quiet time, or folded into a digest', () => {
  for (const c of timingCases) {
    const got = planAlertTiming({ now: new Date(c.at), prefs: c.prefs, timeZone: NY, urgent: c.urgent ?? false });
    assert.deepEqual({ ...got, deliverAfter: got.deliverAfter.toISOString() }, c.want, c.name);
  }
});

test('default preferences by role, and reading what was stored', () => {
  assert.deepEqual(defaultAlertPrefs('owner').events, ['message.received', 'task.reminder', 'task.overdue', 'emergency']);
  assert.deepEqual(defaultAlertPrefs('agent').events, ['task.reminder']);
  const cases: Array<{ stored: string; role: 'owner' | 'admin' | 'agent'; want: Partial<AlertPrefs> }> = [
    { stored: '{}', role: 'owner', want: defaultAlertPrefs('owner') },
    { stored: '{}', role: 'agent', want: defaultAlertPrefs('agent') },
    { stored: 'not json', role: 'admin', want: defaultAlertPrefs('admin') },
    { stored: '{"sms":false,"events":["call.missed","bogus"]}', role: 'owner', want: { sms: false, events: ['call.missed'] } },
    { stored: '{"quietHours":{"start":"22:00","end":"07:00"}}', role: 'owner', want: { quietHours: night } },
    { stored: '{"quietHours":{"start":"25:00","end":"07:00"}}', role: 'owner', want: { quietHours: null } },
    { stored: '{"digest":"weekly","duringQuietHours":"digest"}', role: 'owner', want: { digest: 'off', duringQuietHours: 'digest' } },
  ];
  for (const c of cases) {
    const got = readAlertPrefs(c.stored, c.role);
    for (const [key, value] of Object.entries(c.want)) assert.deepEqual(got[key as keyof AlertPrefs], value, `${c.stored} ${key}`);
  }
});

test('preferences that could never deliver are refused with the field and the reason', () => {
  const cases: Array<{ name: string; prefs: AlertPrefs; hasPhone: boolean; fields: string[] }> = [
    { name: 'defaults with a phone', prefs: prefs({}), hasPhone: true, fields: [] },
    { name: 'sms on without a phone', prefs: prefs({}), hasPhone: false, fields: ['alertPrefs.sms'] },
    { name: 'email only without a phone', prefs: prefs({ sms: false }), hasPhone: false, fields: [] },
    { name: 'quiet all day', prefs: prefs({ quietHours: { start: '08:00', end: '08:00' } }), hasPhone: true, fields: ['alertPrefs.quietHours'] },
    { name: 'no channel but events', prefs: prefs({ sms: false, email: false }), hasPhone: true, fields: ['alertPrefs.events'] },
    { name: 'no channel, no events', prefs: prefs({ sms: false, email: false, events: [] }), hasPhone: true, fields: [] },
    { name: 'no channel, on call for emergencies only (paging uses both)', prefs: prefs({ sms: false, email: false, events: ['emergency'], onCall: true }), hasPhone: true, fields: [] },
  ];
  for (const c of cases) {
    const problems = checkAlertPrefs(c.prefs, { hasPhone: c.hasPhone });
    assert.deepEqual(problems.map((p) => p.field), c.fields, c.name);
    for (const p of problems) assert.ok(p.message.length > 20, `${c.name}: says why`);
  }
});

const jane = { name: 'Jane Doe', number: '+13055550123' };
const long = 'my basement is flooding and the water is coming up the stairs, the furnace is under water and the kids are scared, please send someone as soon as you possibly can, we will pay whatever it costs, the address is 12 Elm Street and the side door is open, thanks so much for calling back earlier';

test('who: name and number, number alone, name alone', () => {
  assert.equal(describeWho(jane), 'Jane Doe (305) 555-0123');
  assert.equal(describeWho({ name: null, number: '+13055550123' }), '(305) 555-0123');
  assert.equal(describeWho({ name: '  ', number: '+442079460000' }), '+44 20 7946 0000');
  assert.equal(describeWho({ name: 'Jane', number: null }), 'Jane');
  assert.equal(describeWho({ name: null, number: null }), 'an unknown caller');
});

const textCases: Array<{ name: string; input: Parameters<typeof buildAlert>[0]; exact?: string; has?: RegExp[] }> = [
  {
    name: 'a reply, the example from the issue',
    input: { kind: 'message.received', who: jane, words: 'my basement is flooding' },
    exact: 'Ringback: new reply from Jane Doe (305) 555-0123: "my basement is flooding" Call back: tel:+13055550123',
  },
  {
    name: 'a reply from a number only, newlines flattened',
    input: { kind: 'message.received', who: { name: null, number: '+13055550123' }, words: 'hi\n\nare you open?' },
    exact: 'Ringback: new reply from (305) 555-0123: "hi are you open?" Call back: tel:+13055550123',
  },
  {
    name: 'a long reply is cut, the link kept',
    input: { kind: 'message.received', who: jane, words: long },
    has: [/^Ringback: new reply from Jane Doe \(305\) 555-0123: "my basement is flooding/, /\.\.\." Call back: tel:\+13055550123$/],
  },
  {
    name: 'emoji turn the text into UCS-2: cut shorter, still 2 segments',
    input: { kind: 'message.received', who: jane, words: `🚨🚨 ${long}` },
    has: [/^Ringback: new reply from/, /tel:\+13055550123$/],
  },
  {
    name: 'emergency',
    input: { kind: 'emergency', who: jane, words: 'my basement is flooding', matched: 'flooding' },
    exact: 'Ringback URGENT (flooding): Jane Doe (305) 555-0123 wrote: "my basement is flooding" Call now: tel:+13055550123',
  },
  {
    name: 'missed call texted back',
    input: { kind: 'call.missed', who: jane, lineName: 'Main line', textedBack: true, skipReason: null, voicemailTranscript: null },
    exact: 'Ringback: missed call from Jane Doe (305) 555-0123 on Main line (texted back). Call back: tel:+13055550123',
  },
  {
    name: 'missed call with voicemail',
    input: { kind: 'call.missed', who: jane, lineName: 'Main line', textedBack: false, skipReason: 'opted out', voicemailTranscript: 'call me back about the boiler' },
    exact: 'Ringback: missed call from Jane Doe (305) 555-0123 on Main line (not texted: opted out). Voicemail: "call me back about the boiler" Call back: tel:+13055550123',
  },
  {
    name: 'anonymous missed call: no link',
    input: { kind: 'call.missed', who: { name: null, number: null }, lineName: 'Main line', textedBack: false, skipReason: 'anonymous caller', voicemailTranscript: null },
    exact: 'Ringback: missed call from an unknown caller on Main line (not texted: anonymous caller).',
  },
  {
    name: 'task reminder',
    input: { kind: 'task.reminder', who: jane, title: 'Call back Jane', dueAt: new Date('2026-06-10T18:30:00Z'), timeZone: NY, assigneeName: 'Sam' },
    exact: 'Ringback: reminder: "Call back Jane" due Wed 2:30 PM (Jane Doe (305) 555-0123). Call: tel:+13055550123',
  },
  {
    name: 'task overdue, unassigned',
    input: { kind: 'task.overdue', who: jane, title: 'Call back Jane', dueAt: new Date('2026-06-10T18:30:00Z'), timeZone: NY, assigneeName: null },
    exact: 'Ringback: OVERDUE: "Call back Jane" was due Wed 2:30 PM, not assigned to anyone (Jane Doe (305) 555-0123). Call: tel:+13055550123',
  },
  {
    name: 'webhook failing',
    input: { kind: 'webhook.failed', url: 'https://hooks.example.com/rb', eventType: 'message.received', attempts: 12, lastError: 'HTTP 500' },
    exact: 'Ringback: a message.received webhook to hooks.example.com failed after 12 attempts: "HTTP 500"',
  },
];

test('alert texts: who, what they said, a tap-to-call link, at most 2 segments', () => {
  for (const c of textCases) {
    const alert = buildAlert(c.input);
    if (c.exact) assert.equal(alert.sms, c.exact, c.name);
    for (const re of c.has ?? []) assert.match(alert.sms, re, c.name);
    assert.ok(alert.sms.length <= SMS_MAX_CHARACTERS, `${c.name}: ${alert.sms.length} chars`);
    assert.ok(measureText(alert.sms).segments <= 2, `${c.name}: ${measureText(alert.sms).segments} segments`);
    assert.ok(alert.title.length > 0 && alert.summary.length > 0 && alert.detail.length > 0, c.name);
  }
});

test('a digest lists what fits and counts the rest', () => {
  const items = Array.from({ length: 12 }, (_, i) =>
    buildAlert({ kind: 'message.received', who: { name: `Caller ${i + 1}`, number: `+1305555${String(100 + i).padStart(4, '0')}` }, words: `question number ${i + 1} about a leaking tap` }),
  );
  const three = buildDigest(items.slice(0, 3));
  assert.match(three.sms, /^Ringback: 3 alerts: 1\) reply from Caller 1: "question number 1/);
  assert.match(three.sms, /3\) reply from Caller 3: .*tel:\+13055550102$/);
  assert.equal(three.title, 'Ringback: 3 alerts');
  const twelve = buildDigest(items);
  assert.match(twelve.sms, /; \+\d+ more$/);
  assert.ok(measureText(twelve.sms).segments <= 2);
  assert.ok(twelve.detail.some((line) => line.includes('Caller 12')), 'the email lists everything');
});

test('the email: subject, words, tel: link, conversation link when the public URL is known', () => {
  const alert = buildAlert({ kind: 'message.received', who: jane, words: 'basement <flooding> & "help"' });
  const withLink = renderAlertEmail(alert, { conversationUrl: 'https://rb.example.com/inbox/cv_1' });
  assert.equal(withLink.subject, 'New reply from Jane Doe (305) 555-0123');
  assert.match(withLink.text, /basement <flooding> & "help"/);
  assert.match(withLink.text, /tel:\+13055550123/);
  assert.match(withLink.text, /https:\/\/rb\.example\.com\/inbox\/cv_1/);
  assert.match(withLink.html, /basement &lt;flooding&gt; &amp; &quot;help&quot;/);
  assert.match(withLink.html, /<a href="tel:\+13055550123">/);
  assert.match(withLink.html, /<a href="https:\/\/rb\.example\.com\/inbox\/cv_1">/);
  const without = renderAlertEmail(alert, { conversationUrl: null });
  assert.doesNotMatch(without.text, /inbox/);
  assert.doesNotMatch(without.html, /inbox/);
});
