// A client of GET /api/v1/events for end-to-end tests: collects the account's live events and
// waits for one that matches.
import assert from 'node:assert/strict';
import { TEST_API_KEY, type TestServer } from '../helpers.ts';

export interface Live {
  events: any[];
  waitFor(match: (e: any) => boolean, what: string, timeoutMs?: number): Promise<any>;
}

/**
 * Reads GET /api/v1/events. The stream is never aborted (an aborted fetch leaves a spare socket
 * that holds the server's close); the server ends it on close.
 */
export async function openLive(server: TestServer): Promise<Live> {
  const res = await fetch(`${server.url}/api/v1/events`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  assert.equal(res.status, 200);
  const events: any[] = [];
  const waiters = new Set<() => void>();
  void (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer
          .slice(0, cut)
          .split('\n')
          .find((l) => l.startsWith('data: '));
        buffer = buffer.slice(cut + 2);
        if (data) events.push(JSON.parse(data.slice(6)));
      }
      for (const w of [...waiters]) w();
    }
  })().catch(() => {});
  return {
    events,
    waitFor: (match, what, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(events.map((e) => [e.type, e.data]))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
