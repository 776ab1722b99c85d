// The dashboard: how the missed calls of a period turned out (texted, replied, booked, won, money)
// and how fast, next to the previous period of the same length. Pure: periods in the account's
// time zone, aggregation of the rows the store hands over, medians and percentiles.
import { TZDate } from '@date-fns/tz';

export const DASHBOARD_PERIODS = ['today', 'month', '7d', '30d'] as const;
export type DashboardPeriod = (typeof DASHBOARD_PERIODS)[number];

export interface PeriodRange {
  from: Date;
  to: Date;
  previousFrom: Date;
  previousTo: Date;
  /** The local days of [from, to), YYYY-MM-DD. */
  days: string[];
}

function localMidnight(year: number, month: number, day: number, timeZone: string): Date {
  // TZDate normalises overflowing days and months like Date does.
  return new Date(new TZDate(year, month - 1, day, 0, 0, 0, timeZone).getTime());
}

/** YYYY-MM-DD of an instant on the wall calendar of the zone. */
export function localDay(instant: Date | string, timeZone: string): string {
  const t = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  const d = new TZDate(t, timeZone);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * The period containing `now` in the zone, and the one before it: today vs yesterday, this month
 * vs last month (whole calendar months), the last 7 or 30 days (today included) vs the 7 or 30 before.
 */
export function periodRange(period: DashboardPeriod, now: Date, timeZone: string): PeriodRange {
  const local = new TZDate(now.getTime(), timeZone);
  const y = local.getFullYear();
  const m = local.getMonth() + 1;
  const d = local.getDate();
  let from: Date, to: Date, previousFrom: Date;
  if (period === 'month') {
    from = localMidnight(y, m, 1, timeZone);
    to = localMidnight(y, m + 1, 1, timeZone);
    previousFrom = localMidnight(y, m - 1, 1, timeZone);
  } else {
    const length = period === 'today' ? 1 : period === '7d' ? 7 : 30;
    from = localMidnight(y, m, d - length + 1, timeZone);
    to = localMidnight(y, m, d + 1, timeZone);
    previousFrom = localMidnight(y, m, d - 2 * length + 1, timeZone);
  }
  const days: string[] = [];
  const first = new TZDate(from.getTime(), timeZone);
  for (let i = 0; ; i++) {
    const day = localMidnight(first.getFullYear(), first.getMonth() + 1, first.getDate() + i, timeZone);
    if (day.getTime() >= to.getTime()) break;
    days.push(localDay(day, timeZone));
  }
  return { from, to, previousFrom, previousTo: from, days };
}

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in (0, 100]); null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1]!;
}

/** An inbound call nobody answered, with its text-back and the caller's first text after it. */
export interface MissedCallRow {
  contactId: string | null;
  startedAt: string;
  endedAt: string | null;
  decision: 'send' | 'skip' | null;
  /** When the text-back went out (null: not sent, or not yet). */
  textSentAt: string | null;
  /** The caller's first text after the text-back (null: none). */
  repliedAt: string | null;
}

export interface LeadRow {
  source: 'missed_call' | 'form' | 'inbound_text';
  stage: string;
  valueCents: number | null;
  createdAt: string;
  closedAt: string | null;
}

/** A contact's text and the team's first human reply after it in the same conversation. */
export interface HumanReplyRow {
  conversationId: string;
  receivedAt: string;
  repliedAt: string;
}

export interface DashboardMetrics {
  missedCalls: number;
  /** Missed calls the text-back was decided for (decision send). */
  texted: number;
  /** Callers who texted in after their text-back. */
  replied: number;
  /** Leads opened in the period that reached booked (or won). */
  booked: number;
  /** Leads won in the period. */
  won: number;
  /** The value of leads from missed calls won in the period, in cents. */
  recoveredCents: number;
  /** From the end of the missed call to the text-back sent. */
  textBackSeconds: { median: number | null; p90: number | null; count: number };
  /** From a contact's text to the team's first human reply. */
  humanReplySeconds: { median: number | null; count: number };
}

export interface DashboardDay {
  date: string;
  missed: number;
  texted: number;
  replied: number;
}

const inRange = (iso: string | null, from: Date, to: Date): boolean => {
  if (!iso) return false;
  const t = Date.parse(iso);
  return t >= from.getTime() && t < to.getTime();
};

const seconds = (fromIso: string, toIso: string): number => Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));

export function summarizeDashboard(
  rows: { calls: readonly MissedCallRow[]; leads: readonly LeadRow[]; humanReplies: readonly HumanReplyRow[] },
  from: Date,
  to: Date,
): DashboardMetrics {
  const calls = rows.calls.filter((c) => inRange(c.startedAt, from, to));
  const texted = calls.filter((c) => c.decision === 'send');
  const repliedContacts = new Set(texted.filter((c) => c.repliedAt !== null).map((c) => c.contactId ?? c.startedAt));
  const textBack = texted.filter((c) => c.textSentAt !== null).map((c) => seconds(c.endedAt ?? c.startedAt, c.textSentAt!));

  const booked = rows.leads.filter((l) => inRange(l.createdAt, from, to) && (l.stage === 'booked' || l.stage === 'won')).length;
  const won = rows.leads.filter((l) => l.stage === 'won' && inRange(l.closedAt, from, to));
  const recoveredCents = won.filter((l) => l.source === 'missed_call').reduce((sum, l) => sum + (l.valueCents ?? 0), 0);

  // Several texts before one human reply count once, from the first of them (the longest wait).
  const waits = new Map<string, number>();
  for (const r of rows.humanReplies) {
    if (!inRange(r.receivedAt, from, to)) continue;
    const key = `${r.conversationId} ${r.repliedAt}`;
    const s = seconds(r.receivedAt, r.repliedAt);
    waits.set(key, Math.max(waits.get(key) ?? 0, s));
  }
  const humanWaits = [...waits.values()];

  return {
    missedCalls: calls.length,
    texted: texted.length,
    replied: repliedContacts.size,
    booked,
    won: won.length,
    recoveredCents,
    textBackSeconds: { median: median(textBack), p90: percentile(textBack, 90), count: textBack.length },
    humanReplySeconds: { median: median(humanWaits), count: humanWaits.length },
  };
}

/** Per local day of the period: missed calls, text-backs and callers who replied (by the call's day). */
export function dailySeries(calls: readonly MissedCallRow[], range: Pick<PeriodRange, 'from' | 'to' | 'days'>, timeZone: string): DashboardDay[] {
  const byDay = new Map(range.days.map((date) => [date, { date, missed: 0, texted: 0, replied: 0 }]));
  for (const c of calls) {
    if (!inRange(c.startedAt, range.from, range.to)) continue;
    const day = byDay.get(localDay(c.startedAt, timeZone));
    if (!day) continue;
    day.missed++;
    if (c.decision === 'send') {
      day.texted++;
      if (c.repliedAt) day.replied++;
    }
  }
  return [...byDay.values()];
}
