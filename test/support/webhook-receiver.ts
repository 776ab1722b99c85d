// A webhook consumer on loopback: records every request exactly as received (raw body, headers)
// and answers with a scripted sequence of status codes (then 200), optionally slowly.
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as sent: what a signature is computed over. */
  body: string;
  receivedAt: Date;
}

export type ScriptedAnswer = number | { status: number; delayMs?: number; body?: string; headers?: Record<string, string> };

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Appends answers; each request takes the next one, 200 when the script is used up. */
  script(...answers: ScriptedAnswer[]): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hooks/ringback'): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const answers: ScriptedAnswer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: new Date() });
      const next = answers.shift() ?? 200;
      const answer = typeof next === 'number' ? { status: next } : next;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? (answer.status < 300 ? 'ok' : `scripted ${answer.status}`));
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    script: (...more) => void answers.push(...more),
    async waitForRequests(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} webhook request(s); got ${requests.length}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
