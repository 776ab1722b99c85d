// Formatting for people: phone numbers, times, money, message statuses.

/** +15555550123 → (555) 555-0123; other numbers stay as they are. */
export function formatPhone(number: string | null | undefined): string {
  if (!number) return 'Unknown number';
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : number;
}

export function contactName(contact: { name: string | null; number: string }): string {
  return contact.name?.trim() || formatPhone(contact.number);
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

/** Today: "3:04 PM"; this year: "Nov 3, 3:04 PM"; otherwise with the year. */
export function formatWhen(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return timeFmt.format(d);
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (d.toDateString() === yesterday.toDateString()) return `Yesterday, ${timeFmt.format(d)}`;
  if (d.getFullYear() === now.getFullYear()) return `${dayFmt.format(d)}, ${timeFmt.format(d)}`;
  return d.toLocaleString();
}

export function formatFull(iso: string | null | undefined): string {
  return iso ? fullFmt.format(new Date(iso)) : '';
}

/** "in 2 h", "3 min ago" */
export function relative(iso: string): string {
  const diff = new Date(iso).getTime() - Date.now();
  const abs = Math.abs(diff);
  const min = Math.round(abs / 60000);
  const text = min < 1 ? 'now' : min < 60 ? `${min} min` : min < 48 * 60 ? `${Math.round(min / 60)} h` : `${Math.round(min / 1440)} days`;
  if (text === 'now') return 'now';
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

export function formatMoney(cents: number | null | undefined): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }).format((cents ?? 0) / 100);
}

const STATUS_WORDS: Record<string, string> = {
  queued: 'Queued',
  held: 'Held',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  received: 'Received',
  failed: 'Failed',
  undelivered: 'Not delivered',
  expired: 'Expired',
  canceled: 'Canceled',
};

/** "Delivered", or "Failed: <the carrier's explanation>". */
export function messageStatusText(m: { status: string; direction: string; error: { code: string | null; message: string | null } | null }): string {
  if (m.direction === 'inbound') return 'Received';
  const word = STATUS_WORDS[m.status] ?? m.status.charAt(0).toUpperCase() + m.status.slice(1);
  if ((m.status === 'failed' || m.status === 'undelivered' || m.status === 'expired') && m.error) {
    const why = m.error.message ?? (m.error.code ? `carrier error ${m.error.code}` : '');
    return why ? `${word}: ${why}` : word;
  }
  return word;
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}
