// A real SMTP server on loopback that keeps every mail it receives, parsed, so a test can read
// what an owner's inbox would show. Plain SMTP (no TLS, no auth required), as a local relay.
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, for RINGBACK_SMTP_URL. */
  url: string;
  mails: ParsedMail[];
  /** Mails to `address` so far. */
  to(address: string): ParsedMail[];
  /** The next `times` mails are refused with this SMTP reply code (e.g. 451: try again later). */
  rejectNext(times: number, code: number): void;
  /** How many mails were refused so far. */
  rejected: number;
  /** Resolves once at least `count` mails (to `address`, when given) have arrived. */
  waitForMails(count: number, opts?: { to?: string; timeoutMs?: number }): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

function recipients(mail: ParsedMail): string[] {
  const list = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  const waiters = new Set<() => void>();
  const refusals: number[] = [];
  let rejected = 0;
  const server = new SMTPServer({
    authOptional: true,
    secure: false,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const refuse = refusals.shift();
      if (refuse !== undefined) {
        rejected++;
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error(`scripted refusal ${refuse}`), { responseCode: refuse })));
        return;
      }
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          for (const wake of waiters) wake();
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as { port: number };
  const to = (address: string) => mails.filter((m) => recipients(m).includes(address.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    to,
    rejectNext(times, code) {
      for (let i = 0; i < times; i++) refusals.push(code);
    },
    get rejected() {
      return rejected;
    },
    async waitForMails(count, opts = {}) {
      const pick = () => (opts.to ? to(opts.to) : mails);
      const deadline = Date.now() + (opts.timeoutMs ?? 5000);
      while (pick().length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${count} mail(s)${opts.to ? ` to ${opts.to}` : ''}; got ${pick().length}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          setTimeout(wake, Math.min(left, 50)).unref();
        });
      }
      return pick();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
