// Bad input gets a clear error and changes nothing: for every kind of bad request, the right status
// code, the error shape with a stable code, a message (and field list) naming the offending field,
// and not one row written anywhere. Table-driven: each array of cases becomes one test per case.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { SIMULATOR_SIGNATURE_HEADER, signSimulatorWebhook } from '../src/carriers/simulator/signature.ts';
import { DEMO_LINE, TEST_API_KEY, settle, startTestServer, type TestServer } from './helpers.ts';

const EVENTS_LINE = '+15555550142';
const CALLER = '+15555550123';
const NOT_A_LINE = '+15555550199';

// ---------------------------------------------------------------------------------------------
// Harness: a snapshot of everything a request could write, and one assertion for a rejection.

const CONTENT_TABLES = [
  'accounts',
  'users',
  'memberships',
  'carrier_connections',
  'lines',
  'templates',
  'contacts',
  'conversations',
  'calls',
  'messages',
  'suppressions',
  'leads',
  'tasks',
  'events',
] as const;

/** Every row of every business table, the API keys' revocation state, the job count, and what the
 * simulator's carrier accepted. `last_used_at` of API keys is left out: it is bookkeeping. */
async function snapshot(server: TestServer): Promise<Record<string, unknown>> {
  await settle(server);
  const db = server.ringback.store.db as unknown as Kysely<any>;
  const out: Record<string, unknown> = {};
  for (const table of CONTENT_TABLES) {
    out[table] = await db.selectFrom(table).selectAll().orderBy('id').execute();
  }
  out.api_keys = await db.selectFrom('api_keys').select(['id', 'name', 'revoked_at']).orderBy('id').execute();
  out.jobs = (await db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
  out.simulatorAccepted = server.ringback.network.acceptedMessages().length;
  return out;
}

async function countCalls(server: TestServer): Promise<number> {
  const row = await server.ringback.store.db
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

interface BadCase {
  name: string;
  method?: string;
  path: string;
  /** A string is sent as is (with content-type application/json unless headers say otherwise). */
  body?: unknown;
  key?: string | null;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** A field that `error.fields[].field` must list. */
  field?: string;
  /** Words the message must contain; defaults to [field]. Matched as whole words, case-insensitive. */
  mentions?: string[];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function assertMentions(message: string, word: string): void {
  const re = new RegExp(`(^|[^\\w])${escapeRegExp(word)}($|[^\\w])`, 'i');
  assert.match(message, re, `the message should name "${word}": ${message}`);
}

function assertErrorShape(res: { status: number; body: any }, c: Pick<BadCase, 'status' | 'code' | 'field' | 'mentions'>): void {
  assert.equal(res.status, c.status, `status: ${JSON.stringify(res.body)}`);
  assert.ok(res.body && typeof res.body === 'object' && res.body.error, `error shape: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.error.code, c.code, `code: ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body.error.message, 'string');
  assert.ok(res.body.error.message.trim().length > 5, 'a message a person can read');
  if (c.field !== undefined) {
    assert.ok(Array.isArray(res.body.error.fields), `fields listed: ${JSON.stringify(res.body)}`);
    const fields = (res.body.error.fields as Array<{ field: string; message: string }>).map((f) => f.field);
    assert.ok(fields.includes(c.field), `fields should name ${c.field}: ${JSON.stringify(fields)}`);
    for (const f of res.body.error.fields as Array<{ field: string; message: string }>) {
      assert.equal(typeof f.message, 'string');
      assert.ok(f.message.length > 0, 'every field error says what is wrong');
    }
  }
  for (const word of c.mentions ?? (c.field !== undefined ? [c.field] : [])) assertMentions(res.body.error.message, word);
}

async function send(server: TestServer, c: BadCase): Promise<{ status: number; body: any }> {
  return server.api(c.method ?? 'POST', c.path, c.body, {
    ...(c.key !== undefined ? { key: c.key } : {}),
    ...(c.headers ? { headers: c.headers } : {}),
  });
}

async function expectRejected(server: TestServer, c: BadCase): Promise<void> {
  const before = await snapshot(server);
  const res = await send(server, c);
  assertErrorShape(res, c);
  assert.deepEqual(await snapshot(server), before, 'a rejected request changes nothing');
}

function runCases(getServer: () => TestServer, cases: BadCase[]): void {
  for (const c of cases) {
    test(`${c.method ?? 'POST'} ${c.path} — ${c.name} → ${c.status} ${c.code}`, async () => {
      await expectRejected(getServer(), c);
    });
  }
}

// ---------------------------------------------------------------------------------------------

describe('auth and routing', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  const authCases: BadCase[] = [
    { name: 'no Authorization header', method: 'GET', path: '/api/v1/lines', key: null, status: 401, code: 'unauthorized', mentions: ['Authorization'] },
    { name: 'no header on a write', path: '/api/v1/lines', body: { number: '+15555550150', mode: 'events' }, key: null, status: 401, code: 'unauthorized', mentions: ['Authorization'] },
    { name: 'scheme "Token"', method: 'GET', path: '/api/v1/lines', key: null, headers: { authorization: `Token ${TEST_API_KEY}` }, status: 401, code: 'unauthorized', mentions: ['Bearer'] },
    { name: 'bare "Bearer"', method: 'GET', path: '/api/v1/lines', key: null, headers: { authorization: 'Bearer' }, status: 401, code: 'unauthorized', mentions: ['Bearer'] },
    { name: '"Bearer" with two words', method: 'GET', path: '/api/v1/lines', key: null, headers: { authorization: `Bearer ${TEST_API_KEY} extra` }, status: 401, code: 'unauthorized', mentions: ['Bearer'] },
    { name: 'unknown key', method: 'GET', path: '/api/v1/account', key: 'rb_not_a_real_key_000000000000000000', status: 401, code: 'unauthorized', mentions: ['key'] },
    { name: 'unknown key on a write', path: '/api/v1/simulator/calls', body: { from: CALLER, to: DEMO_LINE, outcome: 'unanswered' }, key: 'rb_not_a_real_key_000000000000000000', status: 401, code: 'unauthorized', mentions: ['key'] },
    { name: 'a key with a trailing character', method: 'GET', path: '/api/v1/account', key: TEST_API_KEY + 'x', status: 401, code: 'unauthorized', mentions: ['key'] },
  ];
  runCases(() => server, authCases);

  test(
    'no key and an unparseable body → 401, not 400 (authentication comes before reading the body)',
    async () => {
      await expectRejected(server, { name: 'no key, bad JSON', path: '/api/v1/lines', body: '{"number":', key: null, status: 401, code: 'unauthorized' });
    },
  );

  test('a revoked key is refused, and the revocation does not touch other keys', async () => {
    const created = await server.api('POST', '/api/v1/api-keys', { name: 'temporary' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = created.body.key as string;
    assert.equal((await server.api('GET', '/api/v1/account', undefined, { key })).status, 200);
    const revoked = await server.api('DELETE', `/api/v1/api-keys/${created.body.apiKey.id}`);
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    await expectRejected(server, { name: 'revoked', method: 'GET', path: '/api/v1/account', key, status: 401, code: 'unauthorized', mentions: ['revoked'] });
    await expectRejected(server, { name: 'revoked write', path: '/api/v1/lines', body: { number: '+15555550151', mode: 'events' }, key, status: 401, code: 'unauthorized' });
    assert.equal((await server.api('GET', '/api/v1/account')).status, 200, 'the main key still works');
  });

  for (const p of ['/healthz', '/readyz']) {
    test(`${p} needs no key`, async () => {
      const res = await server.api('GET', p, undefined, { key: null });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });
  }

  const routeCases: BadCase[] = [
    { name: 'unknown API route', method: 'GET', path: '/api/v1/nope', status: 404, code: 'not_found', mentions: ['/api/v1/nope'] },
    { name: 'unknown route outside the API', method: 'GET', path: '/nope', key: null, status: 404, code: 'not_found', mentions: ['/nope'] },
    { name: 'wrong method on a known path', method: 'PUT', path: '/api/v1/calls', body: {}, status: 404, code: 'not_found' },
    { name: 'unknown call id', method: 'GET', path: '/api/v1/calls/call_nope', status: 404, code: 'not_found', mentions: ['call_nope'] },
    { name: 'unknown line id', method: 'GET', path: '/api/v1/lines/line_nope', status: 404, code: 'not_found', mentions: ['line_nope'] },
    { name: 'query limit out of range', method: 'GET', path: '/api/v1/calls?limit=0', status: 400, code: 'validation_failed', field: 'limit' },
    { name: 'query limit not a number', method: 'GET', path: '/api/v1/conversations?limit=lots', status: 400, code: 'validation_failed', field: 'limit' },
    { name: 'query status not in the enum', method: 'GET', path: '/api/v1/conversations?status=closed', status: 400, code: 'validation_failed', field: 'status' },
    { name: 'query decision not in the enum', method: 'GET', path: '/api/v1/calls?decision=maybe', status: 400, code: 'validation_failed', field: 'decision' },
  ];
  runCases(() => server, routeCases);
});

// ---------------------------------------------------------------------------------------------

describe('simulator API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  const call = { from: CALLER, to: DEMO_LINE, outcome: 'unanswered' };
  const text = { from: CALLER, to: DEMO_LINE, body: 'hello' };

  const callCases: BadCase[] = [
    { name: 'no body', path: '/api/v1/simulator/calls', status: 400, code: 'validation_failed', mentions: ['body'] },
    { name: 'empty object', path: '/api/v1/simulator/calls', body: {}, status: 400, code: 'validation_failed', field: 'to' },
    ...['12', 'abc', '+1 555', '', '   ', '+1555555010x', '1-800-FLOWERS'].map(
      (to): BadCase => ({ name: `to ${JSON.stringify(to)}`, path: '/api/v1/simulator/calls', body: { ...call, to }, status: 400, code: 'validation_failed', field: 'to' }),
    ),
    { name: 'to a number', path: '/api/v1/simulator/calls', body: { ...call, to: 15555550100 }, status: 400, code: 'validation_failed', field: 'to' },
    ...['abc', '12', '', '+1 555'].map(
      (from): BadCase => ({ name: `from ${JSON.stringify(from)}`, path: '/api/v1/simulator/calls', body: { ...call, from }, status: 400, code: 'validation_failed', field: 'from' }),
    ),
    { name: 'from missing', path: '/api/v1/simulator/calls', body: { to: DEMO_LINE, outcome: 'busy' }, status: 400, code: 'validation_failed', field: 'from' },
    { name: 'outcome not in the enum', path: '/api/v1/simulator/calls', body: { ...call, outcome: 'voicemail' }, status: 400, code: 'validation_failed', field: 'outcome' },
    { name: 'outcome missing', path: '/api/v1/simulator/calls', body: { from: CALLER, to: DEMO_LINE }, status: 400, code: 'validation_failed', field: 'outcome' },
    { name: 'unknown extra field', path: '/api/v1/simulator/calls', body: { ...call, colour: 'red' }, status: 400, code: 'validation_failed', field: 'colour' },
    { name: 'afterSeconds negative', path: '/api/v1/simulator/calls', body: { ...call, afterSeconds: -1 }, status: 400, code: 'validation_failed', field: 'afterSeconds' },
    { name: 'afterSeconds fractional', path: '/api/v1/simulator/calls', body: { ...call, afterSeconds: 1.5 }, status: 400, code: 'validation_failed', field: 'afterSeconds' },
    { name: 'afterSeconds too large', path: '/api/v1/simulator/calls', body: { ...call, afterSeconds: 99999 }, status: 400, code: 'validation_failed', field: 'afterSeconds' },
    { name: 'afterSeconds a string', path: '/api/v1/simulator/calls', body: { ...call, afterSeconds: '5' }, status: 400, code: 'validation_failed', field: 'afterSeconds' },
    { name: 'to a valid number that is not a line', path: '/api/v1/simulator/calls', body: { ...call, to: NOT_A_LINE }, status: 404, code: 'not_found', field: 'to', mentions: [NOT_A_LINE] },
    { name: 'invalid JSON text', path: '/api/v1/simulator/calls', body: '{"from": "+15555550123", ', status: 400, code: 'bad_request', mentions: ['JSON'] },
    { name: 'a JSON array', path: '/api/v1/simulator/calls', body: [call], status: 400, code: 'validation_failed' },
    { name: 'JSON null', path: '/api/v1/simulator/calls', body: 'null', status: 400, code: 'validation_failed' },
    { name: 'empty JSON body', path: '/api/v1/simulator/calls', body: '', headers: { 'content-type': 'application/json' }, status: 400, code: 'bad_request' },
    { name: 'prototype poisoning (__proto__)', path: '/api/v1/simulator/calls', body: `{"from":"${CALLER}","to":"${DEMO_LINE}","outcome":"busy","__proto__":{"admin":true}}`, status: 400, code: 'bad_request' },
  ];
  runCases(() => server, callCases);

  test('wrong content-type (text/plain) → 4xx with the error shape, nothing written', async () => {
    const before = await snapshot(server);
    const res = await server.api('POST', '/api/v1/simulator/calls', JSON.stringify(call), { headers: { 'content-type': 'text/plain' } });
    assert.ok(res.status === 400 || res.status === 415, `status ${res.status}: ${JSON.stringify(res.body)}`);
    assert.equal(typeof res.body?.error?.code, 'string');
    assert.equal(typeof res.body?.error?.message, 'string');
    // Either the media type is refused, or the text is read and refused for not being a JSON object.
    assert.match(res.body.error.message, /JSON object|content-type|media type/i);
    assert.deepEqual(await snapshot(server), before);
  });

  test('unsupported content-type (application/xml) → 415', async () => {
    const before = await snapshot(server);
    const res = await server.api('POST', '/api/v1/simulator/calls', '<call/>', { headers: { 'content-type': 'application/xml' } });
    assertErrorShape(res, { status: 415, code: 'unsupported_media_type' });
    assert.deepEqual(await snapshot(server), before);
  });

  const long = 'x'.repeat(1601);
  const textCases: BadCase[] = [
    { name: 'empty body text', path: '/api/v1/simulator/messages', body: { ...text, body: '' }, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'blank body text', path: '/api/v1/simulator/messages', body: { ...text, body: '   ' }, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'body text of newlines', path: '/api/v1/simulator/messages', body: { ...text, body: '\n\t\n' }, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'body over 1600 characters', path: '/api/v1/simulator/messages', body: { ...text, body: long }, status: 400, code: 'validation_failed', field: 'body', mentions: ['body', '1600'] },
    { name: 'body not a string', path: '/api/v1/simulator/messages', body: { ...text, body: 42 }, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'body missing', path: '/api/v1/simulator/messages', body: { from: CALLER, to: DEMO_LINE }, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'from malformed', path: '/api/v1/simulator/messages', body: { ...text, from: 'abc' }, status: 400, code: 'validation_failed', field: 'from' },
    { name: 'to malformed', path: '/api/v1/simulator/messages', body: { ...text, to: '12' }, status: 400, code: 'validation_failed', field: 'to' },
    { name: 'unknown extra field', path: '/api/v1/simulator/messages', body: { ...text, media: 'x' }, status: 400, code: 'validation_failed', field: 'media' },
    { name: 'to not a line', path: '/api/v1/simulator/messages', body: { ...text, to: NOT_A_LINE }, status: 404, code: 'not_found', field: 'to', mentions: [NOT_A_LINE] },
  ];
  runCases(() => server, textCases);

  const phoneCases: BadCase[] = ['abc', '12', '%2B1%20555', 'x12'].map(
    (bad): BadCase => ({ name: `phone ${JSON.stringify(bad)}`, method: 'GET', path: `/api/v1/simulator/phones/${bad}/messages`, status: 400, code: 'validation_failed', field: 'number' }),
  );
  runCases(() => server, phoneCases);

  test('after all of it: no call placed, no text sent, the inbox is empty', async () => {
    await settle(server);
    assert.equal(await countCalls(server), 0);
    assert.deepEqual(await server.phoneInbox(CALLER), []);
    assert.equal(server.ringback.network.acceptedMessages().length, 0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /api/v1/calls (events mode)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    const res = await server.api('POST', '/api/v1/lines', { number: EVENTS_LINE, mode: 'events' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
  after(async () => {
    await server.close();
  });

  const valid = { line: EVENTS_LINE, from: CALLER, status: 'missed', externalId: 'pbx-1', occurredAt: '2026-11-22T14:05:00Z' };
  const without = (field: keyof typeof valid) => {
    const copy: Record<string, unknown> = { ...valid };
    delete copy[field];
    return copy;
  };

  const cases: BadCase[] = [
    { name: 'no body', path: '/api/v1/calls', status: 400, code: 'validation_failed', mentions: ['body'] },
    ...(['line', 'from', 'status', 'externalId', 'occurredAt'] as const).map(
      (field): BadCase => ({ name: `${field} missing`, path: '/api/v1/calls', body: without(field), status: 400, code: 'validation_failed', field }),
    ),
    ...(['line', 'from', 'status', 'externalId', 'occurredAt'] as const).map(
      (field): BadCase => ({ name: `${field} null`, path: '/api/v1/calls', body: { ...valid, [field]: null }, status: 400, code: 'validation_failed', field }),
    ),
    { name: 'line empty', path: '/api/v1/calls', body: { ...valid, line: '' }, status: 400, code: 'validation_failed', field: 'line' },
    { name: 'externalId empty', path: '/api/v1/calls', body: { ...valid, externalId: '' }, status: 400, code: 'validation_failed', field: 'externalId' },
    { name: 'externalId too long', path: '/api/v1/calls', body: { ...valid, externalId: 'e'.repeat(201) }, status: 400, code: 'validation_failed', field: 'externalId' },
    { name: 'from too long', path: '/api/v1/calls', body: { ...valid, from: '1'.repeat(65) }, status: 400, code: 'validation_failed', field: 'from' },
    { name: 'status not in the enum', path: '/api/v1/calls', body: { ...valid, status: 'ringing' }, status: 400, code: 'validation_failed', field: 'status', mentions: ['status', 'missed'] },
    { name: 'status in the wrong case', path: '/api/v1/calls', body: { ...valid, status: 'MISSED' }, status: 400, code: 'validation_failed', field: 'status' },
    ...['yesterday', '2026-11-22', '2026-11-22 14:05', '2026-11-22T14:05:00', '2026-13-40T14:05:00Z', ''].map(
      (occurredAt): BadCase => ({ name: `occurredAt ${JSON.stringify(occurredAt)}`, path: '/api/v1/calls', body: { ...valid, occurredAt }, status: 400, code: 'validation_failed', field: 'occurredAt' }),
    ),
    { name: 'occurredAt a number', path: '/api/v1/calls', body: { ...valid, occurredAt: 1764000000 }, status: 400, code: 'validation_failed', field: 'occurredAt' },
    { name: 'unknown extra field', path: '/api/v1/calls', body: { ...valid, duration: 12 }, status: 400, code: 'validation_failed', field: 'duration' },
    { name: 'unknown line', path: '/api/v1/calls', body: { ...valid, line: NOT_A_LINE }, status: 404, code: 'not_found', field: 'line', mentions: ['line', NOT_A_LINE] },
    { name: 'unknown line id', path: '/api/v1/calls', body: { ...valid, line: 'line_nope' }, status: 404, code: 'not_found', field: 'line', mentions: ['line'] },
    { name: 'a forward-mode line', path: '/api/v1/calls', body: { ...valid, line: DEMO_LINE }, status: 409, code: 'conflict', mentions: [DEMO_LINE, 'forward'] },
  ];
  runCases(() => server, cases);

  // The reason, not just the name: an absent field is "required", whatever its type.
  for (const field of ['line', 'from', 'status', 'externalId', 'occurredAt'] as const) {
    test(
      `${field} missing → its field error says it is required`,
      {},
      async () => {
        const res = await server.api('POST', '/api/v1/calls', without(field));
        assertErrorShape(res, { status: 400, code: 'validation_failed', field });
        const error = (res.body.error.fields as Array<{ field: string; message: string }>).find((f) => f.field === field);
        assert.match(error?.message ?? '', /required/);
      },
    );
  }

  test('the same externalId twice with the same content is a replay: 200, replayed, one call row', async () => {
    const body = { ...valid, externalId: 'pbx-replay' };
    const first = await server.api('POST', '/api/v1/calls', body);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.replayed, false);
    const before = await snapshot(server);
    const second = await server.api('POST', '/api/v1/calls', body);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.replayed, true);
    assert.equal(second.body.call.id, first.body.call.id);
    assert.deepEqual(await snapshot(server), before, 'a replay changes nothing');
    const rows = await server.ringback.store.db.selectFrom('calls').select('id').where('external_id', '=', 'pbx-replay').execute();
    assert.equal(rows.length, 1);
  });

  test('the same externalId with different content → 409 naming externalId; the first call is unchanged', async () => {
    const body = { ...valid, externalId: 'pbx-conflict' };
    const first = await server.api('POST', '/api/v1/calls', body);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const stored = await server.api('GET', `/api/v1/calls/${first.body.call.id}`);
    const variants: Array<[string, Record<string, unknown>]> = [
      ['from', { ...body, from: '+15555550124' }],
      ['status', { ...body, status: 'busy' }],
      ['occurredAt', { ...body, occurredAt: '2026-11-22T14:06:00Z' }],
      ['line', { ...body, line: DEMO_LINE }], // forward mode: refused before the externalId is even looked at
    ];
    for (const [what, variant] of variants) {
      if (what === 'line') {
        await expectRejected(server, { name: what, path: '/api/v1/calls', body: variant, status: 409, code: 'conflict' });
        continue;
      }
      await expectRejected(server, {
        name: `different ${what}`,
        path: '/api/v1/calls',
        body: variant,
        status: 409,
        code: 'conflict',
        field: 'externalId',
        mentions: ['externalId', 'pbx-conflict'],
      });
    }
    assert.deepEqual(await server.api('GET', `/api/v1/calls/${first.body.call.id}`), stored, 'the first call is unchanged');
    const rows = await server.ringback.store.db.selectFrom('calls').select('id').where('external_id', '=', 'pbx-conflict').execute();
    assert.equal(rows.length, 1);
  });

  test('the same externalId on another events line of the account → 409', async () => {
    const other = await server.api('POST', '/api/v1/lines', { number: '+15555550143', mode: 'events' });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const body = { ...valid, externalId: 'pbx-two-lines' };
    assert.equal((await server.api('POST', '/api/v1/calls', body)).status, 201);
    await expectRejected(server, {
      name: 'other line',
      path: '/api/v1/calls',
      body: { ...body, line: '+15555550143' },
      status: 409,
      code: 'conflict',
      field: 'externalId',
    });
  });

  const facts: Array<{ from: string; reason: string }> = [
    { from: 'Anonymous', reason: 'anonymous_caller' },
    { from: '', reason: 'anonymous_caller' },
  ];
  for (const [i, fact] of facts.entries()) {
    test(`a withheld caller ID ${JSON.stringify(fact.from)} is a fact to record, not a bad request → 201, skip ${fact.reason}`, async () => {
      const before = await countCalls(server);
      const res = await server.api('POST', '/api/v1/calls', { ...valid, from: fact.from, externalId: `pbx-anon-${i}` });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.replayed, false);
      assert.equal(res.body.call.from, fact.from);
      assert.equal(res.body.call.fromNumber, null);
      assert.equal(res.body.call.decision?.action, 'skip');
      assert.equal(res.body.call.decision?.reason, fact.reason);
      assert.equal(await countCalls(server), before + 1);
    });
  }

  test('a malformed caller ID ("12") is recorded and skipped, never texted', async () => {
    const res = await server.api('POST', '/api/v1/calls', { ...valid, from: '12', externalId: 'pbx-malformed' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.call.fromNumber, null);
    assert.equal(res.body.call.decision?.action, 'skip');
    assert.equal(res.body.call.decision?.messageId, null);
  });
});

// ---------------------------------------------------------------------------------------------

describe('lines', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  const line = { number: '+15555550160', mode: 'events' };
  const createCases: BadCase[] = [
    { name: 'no body', path: '/api/v1/lines', status: 400, code: 'validation_failed', mentions: ['body'] },
    ...['abc', '12', '+1 555', '1-800-FLOWERS', '+15555550160x1'].map(
      (number): BadCase => ({ name: `number ${JSON.stringify(number)}`, path: '/api/v1/lines', body: { ...line, number }, status: 400, code: 'validation_failed', field: 'number' }),
    ),
    { name: 'number empty', path: '/api/v1/lines', body: { ...line, number: '' }, status: 400, code: 'validation_failed', field: 'number' },
    { name: 'number blank', path: '/api/v1/lines', body: { ...line, number: '   ' }, status: 400, code: 'validation_failed', field: 'number' },
    { name: 'number missing', path: '/api/v1/lines', body: { mode: 'events' }, status: 400, code: 'validation_failed', field: 'number' },
    { name: 'mode invalid', path: '/api/v1/lines', body: { ...line, mode: 'fax' }, status: 400, code: 'validation_failed', field: 'mode', mentions: ['mode', 'events'] },
    { name: 'mode missing', path: '/api/v1/lines', body: { number: line.number }, status: 400, code: 'validation_failed', field: 'mode' },
    ...[4, 121, 0, -5, 18.5].map(
      (ringSeconds): BadCase => ({ name: `ringSeconds ${ringSeconds}`, path: '/api/v1/lines', body: { ...line, ringSeconds }, status: 400, code: 'validation_failed', field: 'ringSeconds' }),
    ),
    { name: 'ringSeconds a string', path: '/api/v1/lines', body: { ...line, ringSeconds: '18' }, status: 400, code: 'validation_failed', field: 'ringSeconds' },
    { name: 'a ring target malformed', path: '/api/v1/lines', body: { ...line, ringTargets: [CALLER, 'abc'] }, status: 400, code: 'validation_failed', field: 'ringTargets.1' },
    { name: 'too many ring targets', path: '/api/v1/lines', body: { ...line, ringTargets: Array.from({ length: 11 }, (_, i) => `+155555501${String(10 + i)}`) }, status: 400, code: 'validation_failed', field: 'ringTargets' },
    { name: 'name blank', path: '/api/v1/lines', body: { ...line, name: '  ' }, status: 400, code: 'validation_failed', field: 'name' },
    { name: 'unknown field', path: '/api/v1/lines', body: { ...line, recordCalls: true }, status: 400, code: 'validation_failed', field: 'recordCalls' },
    { name: 'unknown carrierId', path: '/api/v1/lines', body: { ...line, carrierId: 'cc_nope' }, status: 404, code: 'not_found', field: 'carrierId', mentions: ['cc_nope'] },
    { name: 'duplicate number', path: '/api/v1/lines', body: { ...line, number: DEMO_LINE }, status: 409, code: 'conflict', mentions: [DEMO_LINE] },
    { name: 'duplicate number written nationally', path: '/api/v1/lines', body: { ...line, number: '(555) 555-0100' }, status: 409, code: 'conflict', mentions: [DEMO_LINE] },
  ];
  runCases(() => server, createCases);

  const patchCases: BadCase[] = [
    { name: 'unknown line', method: 'PATCH', path: '/api/v1/lines/line_nope', body: { name: 'x' }, status: 404, code: 'not_found', mentions: ['line_nope'] },
    { name: 'unknown line by number', method: 'PATCH', path: `/api/v1/lines/${encodeURIComponent(NOT_A_LINE)}`, body: { name: 'x' }, status: 404, code: 'not_found', mentions: [NOT_A_LINE] },
    { name: 'unknown field', method: 'PATCH', path: `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`, body: { colour: 'red' }, status: 400, code: 'validation_failed', field: 'colour' },
    { name: 'number is not patchable', method: 'PATCH', path: `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`, body: { number: '+15555550161' }, status: 400, code: 'validation_failed', field: 'number' },
    { name: 'ringSeconds out of range, with a valid name', method: 'PATCH', path: `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`, body: { name: 'Renamed', ringSeconds: 500 }, status: 400, code: 'validation_failed', field: 'ringSeconds' },
    { name: 'mode invalid', method: 'PATCH', path: `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`, body: { mode: 'pager' }, status: 400, code: 'validation_failed', field: 'mode' },
    { name: 'paused not a boolean', method: 'PATCH', path: `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`, body: { paused: 'yes' }, status: 400, code: 'validation_failed', field: 'paused' },
    { name: 'no body', method: 'PATCH', path: `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`, status: 400, code: 'validation_failed', mentions: ['body'] },
  ];
  runCases(() => server, patchCases);

  test('after all of it: still exactly the demo line, unchanged', async () => {
    const res = await server.api('GET', '/api/v1/lines');
    assert.equal(res.status, 200);
    assert.equal(res.body.lines.length, 1);
    assert.equal(res.body.lines[0].number, DEMO_LINE);
    assert.notEqual(res.body.lines[0].name, 'Renamed');
  });
});

// ---------------------------------------------------------------------------------------------

describe('account and templates', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  const accountCases: BadCase[] = [
    { name: 'timeZone not IANA', method: 'PATCH', path: '/api/v1/account', body: { timeZone: 'Mars/Olympus' }, status: 400, code: 'validation_failed', field: 'timeZone', mentions: ['timeZone', 'Mars/Olympus'] },
    { name: 'timeZone with a valid name alongside (no partial write)', method: 'PATCH', path: '/api/v1/account', body: { name: 'Renamed Co', timeZone: 'Mars/Olympus' }, status: 400, code: 'validation_failed', field: 'timeZone' },
    { name: 'timeZone empty', method: 'PATCH', path: '/api/v1/account', body: { timeZone: '' }, status: 400, code: 'validation_failed', field: 'timeZone' },
    { name: 'businessHours with 25:00', method: 'PATCH', path: '/api/v1/account', body: { businessHours: { mon: [['25:00', '17:00']] } }, status: 400, code: 'validation_failed', field: 'businessHours', mentions: ['businessHours', '25:00'] },
    { name: 'businessHours a string', method: 'PATCH', path: '/api/v1/account', body: { businessHours: '9-5' }, status: 400, code: 'validation_failed', field: 'businessHours' },
    { name: 'businessHours with a valid name alongside (no partial write)', method: 'PATCH', path: '/api/v1/account', body: { name: 'Renamed Co', businessHours: { mon: [['17:00', '09:00']] } }, status: 400, code: 'validation_failed', field: 'businessHours' },
    ...['not a url', 'ftp://example.com/book', 'javascript:alert(1)', 'example.com'].map(
      (bookingUrl): BadCase => ({ name: `bookingUrl ${JSON.stringify(bookingUrl)}`, method: 'PATCH', path: '/api/v1/account', body: { bookingUrl }, status: 400, code: 'validation_failed', field: 'bookingUrl' }),
    ),
    { name: 'holidays not dates', method: 'PATCH', path: '/api/v1/account', body: { holidays: ['Christmas'] }, status: 400, code: 'validation_failed', field: 'holidays.0' },
    { name: 'averageJobValueCents negative', method: 'PATCH', path: '/api/v1/account', body: { averageJobValueCents: -100 }, status: 400, code: 'validation_failed', field: 'averageJobValueCents' },
    { name: 'averageJobValueCents fractional', method: 'PATCH', path: '/api/v1/account', body: { averageJobValueCents: 10.5 }, status: 400, code: 'validation_failed', field: 'averageJobValueCents' },
    { name: 'name blank', method: 'PATCH', path: '/api/v1/account', body: { name: '   ' }, status: 400, code: 'validation_failed', field: 'name' },
    { name: 'unknown field', method: 'PATCH', path: '/api/v1/account', body: { plan: 'enterprise' }, status: 400, code: 'validation_failed', field: 'plan' },
    { name: 'paused not a boolean', method: 'PATCH', path: '/api/v1/account', body: { paused: 1 }, status: 400, code: 'validation_failed', field: 'paused' },
  ];
  runCases(() => server, accountCases);

  test('after the bad patches the account is exactly as it was at start', async () => {
    const res = await server.api('GET', '/api/v1/account');
    assert.equal(res.status, 200);
    assert.notEqual(res.body.account.name, 'Renamed Co');
    assert.notEqual(res.body.account.timeZone, 'Mars/Olympus');
    assert.equal(res.body.account.bookingUrl, null);
  });

  const slot = '/api/v1/templates/text-back/open';
  const ok = 'Hi, this is {{business_name}}. Sorry we missed your call. Reply STOP to opt out.';
  const templateCases: BadCase[] = [
    { name: 'unknown slot', method: 'PUT', path: '/api/v1/templates/text-back/lunchtime', body: { body: ok }, status: 404, code: 'not_found', mentions: ['lunchtime'] },
    { name: 'unknown variable {{foo}}', method: 'PUT', path: slot, body: { body: 'Hi {{foo}}, this is {{business_name}}. Reply STOP to opt out.' }, status: 422, code: 'unprocessable', field: 'body', mentions: ['foo'] },
    { name: 'empty variable {{ }}', method: 'PUT', path: slot, body: { body: 'Hi {{ }}, this is {{business_name}}. Reply STOP to opt out.' }, status: 422, code: 'unprocessable', field: 'body', mentions: ['empty variable'] },
    { name: 'unbalanced braces', method: 'PUT', path: slot, body: { body: 'Hi {{first_name}, this is {{business_name}}. Reply STOP to opt out.' }, status: 422, code: 'unprocessable', field: 'body', mentions: ['braces'] },
    { name: 'no {{business_name}}', method: 'PUT', path: slot, body: { body: 'Sorry we missed your call. Reply STOP to opt out.' }, status: 422, code: 'unprocessable', field: 'body', mentions: ['business_name'] },
    { name: 'no STOP', method: 'PUT', path: slot, body: { body: 'Hi, this is {{business_name}}. Sorry we missed your call.' }, status: 422, code: 'unprocessable', field: 'body', mentions: ['STOP'] },
    { name: '{{booking_link}} with no booking URL', method: 'PUT', path: slot, body: { body: `${ok} Book: {{booking_link}}` }, status: 422, code: 'unprocessable', field: 'body', mentions: ['booking_link'] },
    { name: 'empty body', method: 'PUT', path: slot, body: { body: '' }, status: 422, code: 'unprocessable', field: 'body', mentions: ['empty'] },
    { name: 'blank body', method: 'PUT', path: slot, body: { body: '   ' }, status: 422, code: 'unprocessable', field: 'body', mentions: ['empty'] },
    { name: 'too long once filled in', method: 'PUT', path: slot, body: { body: `${ok} ${'x'.repeat(1550)}` }, status: 422, code: 'unprocessable', field: 'body', mentions: ['1600'] },
    { name: 'body missing', method: 'PUT', path: slot, body: {}, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'body not a string', method: 'PUT', path: slot, body: { body: 7 }, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'unknown field', method: 'PUT', path: slot, body: { body: ok, purpose: 'reply' }, status: 400, code: 'validation_failed', field: 'purpose' },
    { name: 'lineId of an unknown line', method: 'PUT', path: slot, body: { body: ok, lineId: 'line_nope' }, status: 404, code: 'not_found', field: 'lineId', mentions: ['line_nope'] },
    { name: 'delete the account-wide template', method: 'DELETE', path: slot, status: 409, code: 'conflict', mentions: ['lineId'] },
    { name: 'delete an override that does not exist', method: 'DELETE', path: `${slot}?lineId=${encodeURIComponent(DEMO_LINE)}`, status: 404, code: 'not_found' },
    { name: 'delete from an unknown slot', method: 'DELETE', path: '/api/v1/templates/text-back/lunchtime?lineId=x', status: 404, code: 'not_found', mentions: ['lunchtime'] },
  ];
  for (const c of templateCases) {
    test(`${c.method} ${c.path} — ${c.name} → ${c.status} ${c.code}; GET /api/v1/templates unchanged`, async () => {
      const before = await server.api('GET', '/api/v1/templates');
      assert.equal(before.status, 200);
      await expectRejected(server, c);
      assert.deepEqual(await server.api('GET', '/api/v1/templates'), before);
    });
  }

  test('a valid template → 200 with its encoding and segments (a smart quote makes it UCS-2)', async () => {
    const body = 'Hi, this is {{business_name}}. We’ll call you back soon. Reply STOP to opt out.';
    const res = await server.api('PUT', slot, { body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.template.body, body);
    assert.equal(res.body.template.encoding, 'UCS-2');
    assert.equal(typeof res.body.template.segments, 'number');
    assert.ok(res.body.template.segments >= 1);
    const plain = await server.api('PUT', slot, { body: ok });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.template.encoding, 'GSM-7');
    assert.equal(plain.body.template.segments, 1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('conversations and API keys', () => {
  let server: TestServer;
  let conversationId = '';
  before(async () => {
    server = await startTestServer();
    const res = await server.api('POST', '/api/v1/simulator/messages', { from: CALLER, to: DEMO_LINE, body: 'Do you fix boilers?' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    conversationId = await server.waitFor(async () => {
      const list = await server.api('GET', '/api/v1/conversations');
      return list.body.conversations[0]?.id as string | undefined;
    }, 'the conversation');
    await settle(server);
  });
  after(async () => {
    await server.close();
  });

  test('the inbound text opened a conversation (precondition)', () => {
    assert.match(conversationId, /\S/);
  });

  const path = () => `/api/v1/conversations/${conversationId}/messages`;
  const conversationCases: Array<Omit<BadCase, 'path'> & { path: () => string }> = [
    { name: 'unknown conversation', path: () => '/api/v1/conversations/conv_nope/messages', body: { body: 'hi' }, status: 404, code: 'not_found', mentions: ['conv_nope'] },
    { name: 'list messages of an unknown conversation', method: 'GET', path: () => '/api/v1/conversations/conv_nope/messages', status: 404, code: 'not_found', mentions: ['conv_nope'] },
    { name: 'empty body', path, body: { body: '' }, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'blank body', path, body: { body: '  \n ' }, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'body missing', path, body: {}, status: 400, code: 'validation_failed', field: 'body' },
    { name: 'no JSON at all', path, status: 400, code: 'validation_failed', mentions: ['body'] },
    { name: 'body over 1600 characters', path, body: { body: 'y'.repeat(1601) }, status: 400, code: 'validation_failed', field: 'body', mentions: ['body', '1600'] },
    { name: 'unknown field', path, body: { body: 'hi', to: '+15555550124' }, status: 400, code: 'validation_failed', field: 'to' },
  ];
  for (const c of conversationCases) {
    test(`${c.method ?? 'POST'} conversation messages — ${c.name} → ${c.status} ${c.code}`, async () => {
      await expectRejected(server, { ...c, path: c.path() });
    });
  }

  test('the conversation still holds only the inbound text; the caller received nothing', async () => {
    const res = await server.api('GET', path());
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.messages.filter((m: { author: string }) => m.author === 'user'),
      [],
    );
  });

  const keyCases: BadCase[] = [
    { name: 'unknown id', method: 'DELETE', path: '/api/v1/api-keys/key_nope', status: 404, code: 'not_found', mentions: ['key_nope'] },
    { name: 'create with no name', path: '/api/v1/api-keys', body: {}, status: 400, code: 'validation_failed', field: 'name' },
    { name: 'create with a blank name', path: '/api/v1/api-keys', body: { name: '   ' }, status: 400, code: 'validation_failed', field: 'name' },
    { name: 'create with an unknown field', path: '/api/v1/api-keys', body: { name: 'ci', scopes: ['all'] }, status: 400, code: 'validation_failed', field: 'scopes' },
  ];
  runCases(() => server, keyCases);

  test('a key cannot revoke itself by id → 409, and it keeps working', async () => {
    const keys = await server.api('GET', '/api/v1/api-keys');
    const own = (keys.body.apiKeys as Array<{ id: string; prefix: string }>).find((k) => TEST_API_KEY.startsWith(k.prefix));
    assert.ok(own, 'the main key is listed');
    await expectRejected(server, { name: 'self', method: 'DELETE', path: `/api/v1/api-keys/${own.id}`, status: 409, code: 'conflict' });
    assert.equal((await server.api('GET', '/api/v1/account')).status, 200);
  });

  test(
    'a key cannot revoke itself by its prefix either → 409, and it keeps working',
    async () => {
      const created = await server.api('POST', '/api/v1/api-keys', { name: 'self-revoker' });
      assert.equal(created.status, 201);
      const key = created.body.key as string;
      await expectRejected(server, { name: 'self by prefix', method: 'DELETE', path: `/api/v1/api-keys/${created.body.apiKey.prefix}`, key, status: 409, code: 'conflict' });
      assert.equal((await server.api('GET', '/api/v1/account', undefined, { key })).status, 200, 'the key still works');
    },
  );

  test('revoking an already revoked key → 409', async () => {
    const created = await server.api('POST', '/api/v1/api-keys', { name: 'twice' });
    assert.equal(created.status, 201);
    assert.equal((await server.api('DELETE', `/api/v1/api-keys/${created.body.apiKey.id}`)).status, 204);
    await expectRejected(server, { name: 'twice', method: 'DELETE', path: `/api/v1/api-keys/${created.body.apiKey.id}`, status: 409, code: 'conflict', mentions: ['revoked'] });
  });
});

// ---------------------------------------------------------------------------------------------

describe('carrier webhooks', () => {
  let server: TestServer;
  let connectionId = '';
  let secret = '';
  before(async () => {
    server = await startTestServer();
    const carriers = await server.api('GET', '/api/v1/carriers');
    assert.equal(carriers.status, 200);
    connectionId = carriers.body.carriers.find((c: { kind: string }) => c.kind === 'simulator').id;
    const row = await server.ringback.store.db.selectFrom('carrier_connections').selectAll().where('id', '=', connectionId).executeTakeFirstOrThrow();
    secret = (server.ringback.ctx.carriers.open(row) as { signingSecret: string }).signingSecret;
  });
  after(async () => {
    await server.close();
  });

  const now = () => Math.floor(server.ringback.ctx.clock().getTime() / 1000);
  const incoming = (callId: string) =>
    JSON.stringify({ event: 'call.incoming', callId, from: CALLER, to: DEMO_LINE, occurredAt: new Date().toISOString() });

  async function post(p: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
    const res = await fetch(server.url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  interface WebhookCase {
    name: string;
    path?: () => string;
    body: string;
    /** Returns the signature header value (or none). */
    sign?: (url: string, body: string) => string | undefined;
    status: number;
    code: string;
    mentions?: string[];
  }

  const voicePath = () => `/webhooks/simulator/${connectionId}/voice`;
  const right = (url: string, body: string) => signSimulatorWebhook(secret, url, body, now());
  const cases: WebhookCase[] = [
    { name: 'no signature', body: incoming('CA-nosig'), status: 403, code: 'bad_signature', mentions: ['missing'] },
    { name: 'signed with the wrong secret', body: incoming('CA-wrong'), sign: (url, body) => signSimulatorWebhook('not-the-secret', url, body, now()), status: 403, code: 'bad_signature', mentions: ['match'] },
    { name: 'signed over a different body', body: incoming('CA-tampered'), sign: (url) => signSimulatorWebhook(secret, url, incoming('CA-other'), now()), status: 403, code: 'bad_signature' },
    { name: 'signed over a different URL', body: incoming('CA-url'), sign: (url, body) => signSimulatorWebhook(secret, url + '?x=1', body, now()), status: 403, code: 'bad_signature' },
    { name: 'a stale signature', body: incoming('CA-stale'), sign: (url, body) => signSimulatorWebhook(secret, url, body, now() - 3600), status: 403, code: 'bad_signature', mentions: ['old'] },
    { name: 'a garbled signature header', body: incoming('CA-garbled'), sign: () => 'sha256=abc', status: 403, code: 'bad_signature', mentions: ['malformed'] },
    { name: 'unknown connection id', path: () => '/webhooks/simulator/cc_nope/voice', body: incoming('CA-unknown'), sign: right, status: 404, code: 'not_found' },
    { name: 'connection of another kind', path: () => `/webhooks/twilio/${connectionId}/voice`, body: incoming('CA-kind'), sign: right, status: 404, code: 'not_found' },
    { name: 'signed but not JSON', body: 'callId=CA-form', sign: right, status: 400, code: 'malformed_webhook', mentions: ['JSON'] },
    { name: 'signed but a JSON array', body: '[]', sign: right, status: 400, code: 'malformed_webhook', mentions: ['object'] },
    { name: 'signed but no callId', body: JSON.stringify({ event: 'call.incoming', from: CALLER, to: DEMO_LINE, occurredAt: new Date().toISOString() }), sign: right, status: 400, code: 'malformed_webhook', mentions: ['callId'] },
    { name: 'signed but occurredAt not a date', body: JSON.stringify({ event: 'call.incoming', callId: 'CA-date', from: CALLER, to: DEMO_LINE, occurredAt: 'now' }), sign: right, status: 400, code: 'malformed_webhook', mentions: ['occurredAt'] },
    { name: 'signed but an unknown event', body: JSON.stringify({ event: 'call.ringing', callId: 'CA-event' }), sign: right, status: 400, code: 'malformed_webhook', mentions: ['event'] },
    {
      name: 'signed but a result outside the enum',
      body: JSON.stringify({ event: 'call.completed', callId: 'CA-result', from: CALLER, to: DEMO_LINE, result: 'exploded', startedAt: '2026-11-22T14:05:00Z', endedAt: '2026-11-22T14:06:00Z' }),
      sign: right,
      status: 400,
      code: 'malformed_webhook',
      mentions: ['result'],
    },
    {
      name: 'signed but ends before it starts',
      body: JSON.stringify({ event: 'call.completed', callId: 'CA-time', from: CALLER, to: DEMO_LINE, result: 'no-answer', startedAt: '2026-11-22T14:06:00Z', endedAt: '2026-11-22T14:05:00Z' }),
      sign: right,
      status: 400,
      code: 'malformed_webhook',
      mentions: ['endedAt'],
    },
    { name: 'signed messages hook with a call event', path: () => `/webhooks/simulator/${connectionId}/messages`, body: incoming('CA-msg'), sign: right, status: 400, code: 'malformed_webhook', mentions: ['event'] },
    { name: 'signed status hook with no messageId', path: () => `/webhooks/simulator/${connectionId}/status`, body: JSON.stringify({ event: 'message.status', status: 'delivered', occurredAt: new Date().toISOString() }), sign: right, status: 400, code: 'malformed_webhook', mentions: ['messageId'] },
  ];

  for (const c of cases) {
    test(`webhook — ${c.name} → ${c.status} ${c.code}, nothing stored`, async () => {
      const p = (c.path ?? voicePath)();
      const before = await snapshot(server);
      const signature = c.sign?.(server.ringback.ctx.webhookBase() + p, c.body);
      const res = await post(p, c.body, signature !== undefined ? { [SIMULATOR_SIGNATURE_HEADER]: signature } : {});
      assertErrorShape(res, { status: c.status, code: c.code, ...(c.mentions ? { mentions: c.mentions } : {}) });
      assert.deepEqual(await snapshot(server), before, 'a rejected webhook changes nothing');
      assert.equal(await countCalls(server), 0);
    });
  }

  test('control: the same signing with a well-formed body is accepted and stores the call', async () => {
    const p = voicePath();
    const body = incoming('CA-good');
    const res = await post(p, body, { [SIMULATOR_SIGNATURE_HEADER]: right(server.ringback.ctx.webhookBase() + p, body) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await countCalls(server), 1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('robustness', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('control: the snapshot used throughout does see a write', async () => {
    const before = await snapshot(server);
    const res = await server.api('PATCH', '/api/v1/account', { averageJobValueCents: 12345 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.notDeepEqual(await snapshot(server), before);
  });

  test('30 concurrent bad requests of mixed kinds → all 4xx, nothing written, still healthy', async () => {
    const kinds: BadCase[] = [
      { name: 'no key', method: 'GET', path: '/api/v1/calls', key: null, status: 401, code: 'unauthorized' },
      { name: 'bad to', path: '/api/v1/simulator/calls', body: { from: CALLER, to: 'abc', outcome: 'busy' }, status: 400, code: 'validation_failed' },
      { name: 'bad JSON', path: '/api/v1/simulator/calls', body: '{"to":', status: 400, code: 'bad_request' },
      { name: 'not a line', path: '/api/v1/simulator/messages', body: { from: CALLER, to: NOT_A_LINE, body: 'hi' }, status: 404, code: 'not_found' },
      { name: 'bad line', path: '/api/v1/lines', body: { number: '12', mode: 'events' }, status: 400, code: 'validation_failed' },
      { name: 'dup line', path: '/api/v1/lines', body: { number: DEMO_LINE, mode: 'events' }, status: 409, code: 'conflict' },
      { name: 'bad tz', method: 'PATCH', path: '/api/v1/account', body: { timeZone: 'Mars/Olympus' }, status: 400, code: 'validation_failed' },
      { name: 'bad template', method: 'PUT', path: '/api/v1/templates/text-back/open', body: { body: '{{foo}}' }, status: 422, code: 'unprocessable' },
      { name: 'forward line', path: '/api/v1/calls', body: { line: DEMO_LINE, from: CALLER, status: 'missed', externalId: 'x', occurredAt: '2026-11-22T14:05:00Z' }, status: 409, code: 'conflict' },
      { name: 'unknown route', method: 'GET', path: '/api/v1/nowhere', status: 404, code: 'not_found' },
    ];
    const before = await snapshot(server);
    const batch = Array.from({ length: 30 }, (_, i) => kinds[i % kinds.length]!);
    const results = await Promise.all(batch.map((c) => send(server, c)));
    results.forEach((res, i) => {
      const c = batch[i]!;
      assert.ok(res.status >= 400 && res.status < 500, `${c.name}: ${res.status}`);
      assertErrorShape(res, c);
    });
    assert.deepEqual(await snapshot(server), before);
    const health = await server.api('GET', '/healthz', undefined, { key: null });
    assert.equal(health.status, 200);
    const ready = await server.api('GET', '/readyz', undefined, { key: null });
    assert.equal(ready.status, 200);
  });

  test('an oversized body → 413, not a crash', async () => {
    const before = await snapshot(server);
    const res = await server.api('POST', '/api/v1/simulator/messages', { from: CALLER, to: DEMO_LINE, body: 'z'.repeat(1_100_000) });
    assertErrorShape(res, { status: 413, code: 'payload_too_large' });
    assert.deepEqual(await snapshot(server), before);
    assert.equal((await server.api('GET', '/healthz', undefined, { key: null })).status, 200);
  });
});
