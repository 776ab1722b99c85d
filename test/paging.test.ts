// Paging through lists whose rows share timestamps (carriers send whole seconds): every row
// appears exactly once, whatever the page size.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers.ts';

async function pageAll(server: TestServer, path: string, key: string, limit: number): Promise<any[]> {
  const rows: any[] = [];
  let before: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await server.api('GET', `${path}${sep}limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    rows.push(...res.body[key]);
    before = res.body.next;
    if (!before) return rows;
  }
  throw new Error('paging did not end');
}

describe('paging', () => {
  let server: TestServer;
  const occurredAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString();
  before(async () => {
    server = await startTestServer();
    assert.equal((await server.api('POST', '/api/v1/lines', { number: '+15555550160', mode: 'events', name: 'PBX' })).status, 201);
    // Seven calls in the same second: a time-only cursor would lose some at page edges.
    for (let i = 0; i < 7; i++) {
      const res = await server.api('POST', '/api/v1/calls', { line: '+15555550160', from: `+1212555${String(2100 + i)}`, status: 'missed', externalId: `tie-${i}`, occurredAt });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(async () => {
    await server.close();
  });

  for (const limit of [1, 2, 3, 7, 50]) {
    test(`calls sharing one timestamp, pages of ${limit}: each exactly once, newest first`, async () => {
      const calls = await pageAll(server, '/api/v1/calls?lineId=' + (await lineId(server)), 'calls', limit);
      assert.equal(calls.length, 7);
      assert.equal(new Set(calls.map((c) => c.id)).size, 7);
      const ids = calls.map((c) => c.id);
      assert.deepEqual(ids, [...ids].sort().reverse(), 'ties are ordered by id, newest first');
    });
  }

  test('a plain ISO time still works as "older than this time"', async () => {
    const res = await server.api('GET', `/api/v1/calls?before=${encodeURIComponent(occurredAt)}`);
    assert.equal(res.status, 200);
    assert.ok(res.body.calls.every((c: any) => c.startedAt < occurredAt));
    const later = await server.api('GET', `/api/v1/calls?before=${encodeURIComponent(new Date(Date.parse(occurredAt) + 1000).toISOString())}&lineId=${await lineId(server)}`);
    assert.equal(later.body.calls.length, 7);
  });

  test('conversations page by (last message, id) without gaps', async () => {
    const conversations = await pageAll(server, '/api/v1/conversations', 'conversations', 2);
    assert.equal(new Set(conversations.map((c) => c.id)).size, conversations.length);
    assert.ok(conversations.length >= 7);
  });

  for (const bad of ['yesterday', 'bm90IGEgY3Vyc29y', '2026-13-45T99:00:00Z', 'a|b']) {
    test(`a before that is neither a cursor nor a time is refused: ${bad}`, async () => {
      const res = await server.api('GET', `/api/v1/calls?before=${encodeURIComponent(bad)}`);
      assert.equal(res.status, 400);
      assert.match(JSON.stringify(res.body.error), /before/);
      assert.match(JSON.stringify(res.body.error), /next/);
    });
  }
});

async function lineId(server: TestServer): Promise<string> {
  const { body } = await server.api('GET', '/api/v1/lines');
  return body.lines.find((l: any) => l.number === '+15555550160').id;
}
