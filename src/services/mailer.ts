// Owner alert email over SMTP (nodemailer). One pooled transport per process; the alert job that
// calls it is durable and retried, so a mail server outage delays alerts, never loses them.
import nodemailer from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Threads related alerts in mail clients and lets a retry be recognised. */
  messageId?: string;
}

export interface Mailer {
  /**
   * Rejects with nodemailer's error; `responseCode` (when the server answered) tells a refusal
   * for good (5xx) from a try-again-later (4xx, or no answer at all).
   */
  send(mail: Mail): Promise<{ messageId: string }>;
  close(): void;
}

export function createMailer(opts: { smtpUrl: string; from: string }): Mailer {
  const transport = nodemailer.createTransport({
    url: opts.smtpUrl,
    pool: true,
    maxConnections: 2,
    // A mail server that stops answering must fail the attempt (to be retried), not hold the
    // job forever.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from: opts.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.html ? { html: mail.html } : {}),
        ...(mail.messageId ? { messageId: mail.messageId } : {}),
      });
      return { messageId: String(info.messageId) };
    },
    close() {
      transport.close();
    },
  };
}
