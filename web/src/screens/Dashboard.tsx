// Dashboard: how the missed calls of a period (today, this month, the last 7 or 30 days) turned
// out, money first, next to the period before; how fast the text-back and the team answered;
// missed calls per day as a chart. With several lines, one line or all of them. The period and
// the line live in the address (?period=7d&line=…), so a reload or a shared link shows the same.
import type { Line } from '../api.ts';
import { formatMoney, formatPhone } from '../format.ts';
import { useResource } from '../hooks.ts';
import { navigate, useLocation } from '../router.tsx';
import { ErrorAlert, Field } from '../ui/Field.tsx';

type Period = 'today' | 'month' | '7d' | '30d';
interface Metrics {
  from: string;
  to: string;
  missedCalls: number;
  texted: number;
  replied: number;
  booked: number;
  won: number;
  recoveredCents: number;
  textBackSeconds: { median: number | null; p90: number | null; count: number };
  humanReplySeconds: { median: number | null; count: number };
}
interface Day {
  date: string;
  missed: number;
  texted: number;
  replied: number;
}
interface Report {
  period: string;
  timeZone: string;
  current: Metrics;
  previous: Metrics;
  series: Day[];
}

const PERIODS: Array<[Period, string, string]> = [
  ['today', 'Today', 'yesterday'],
  ['7d', 'Last 7 days', 'the 7 days before'],
  ['30d', 'Last 30 days', 'the 30 days before'],
  ['month', 'This month', 'last month'],
];
const isPeriod = (p: string | null): p is Period => PERIODS.some(([x]) => x === p);
const lineName = (l: Line) => (l.name ? `${l.name} · ${formatPhone(l.number)}` : formatPhone(l.number));
const LIVE = new Set(['call.decided', 'message.received', 'lead.stage_changed']);

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** 42 → "42 s", 150 → "2.5 min", 7200 → "2 h". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round((seconds / 60) * 10) / 10} min`;
  if (seconds < 48 * 3600) return `${Math.round((seconds / 3600) * 10) / 10} h`;
  return `${Math.round(seconds / 86400)} days`;
}

function change(current: number, previous: number, than: string, money = false): { text: string; trend: 'up' | 'down' | 'same' } {
  const diff = current - previous;
  if (diff === 0) return { text: `Same as ${than}`, trend: 'same' };
  const amount = money ? formatMoney(Math.abs(diff)) : Math.abs(diff).toLocaleString();
  return { text: `${diff > 0 ? 'Up' : 'Down'} ${amount} from ${than}`, trend: diff > 0 ? 'up' : 'down' };
}

export function Dashboard() {
  const { query } = useLocation();
  const asked = query.get('period');
  const period: Period = isPeriod(asked) ? asked : 'today';
  const lineId = query.get('line') || null;
  const linesRes = useResource<{ lines: Line[] }>('/lines');
  const lines = linesRes.data?.lines ?? [];
  const res = useResource<{ dashboard: Report & { lineId: string | null } }>(
    `/dashboard?period=${period}${lineId ? `&lineId=${encodeURIComponent(lineId)}` : ''}`,
    (e) => LIVE.has(e.type),
  );
  const d = res.data?.dashboard;
  const [, label, than] = PERIODS.find(([p]) => p === period)!;
  const line = lineId ? lines.find((l) => l.id === lineId || l.number === lineId) : undefined;
  // The previous answer stays in `res` while the next loads: show only the one asked for.
  const shown = d && d.period === period && d.lineId === (lineId ? (line?.id ?? lineId) : null) ? d : null;

  // The address holds the view; replacing it (not pushing) keeps Back for leaving the screen.
  const show = (next: { period?: Period; line?: string | null }) => {
    const q = new URLSearchParams();
    const p = next.period ?? period;
    const l = next.line === undefined ? lineId : next.line;
    if (p !== 'today') q.set('period', p);
    if (l) q.set('line', l);
    const search = q.toString();
    navigate(`/dashboard${search ? `?${search}` : ''}`, { replace: true });
  };

  return (
    <main id="main" className="page dashboard">
      <div className="page-head">
        <h1>Dashboard</h1>
        <p className="lead-text">What missed calls turned into, and how fast your team got back to people.</p>
      </div>
      <div className="dash-filters">
        <div className="period-switch" role="group" aria-label="Period">
          {PERIODS.map(([p, name]) => (
            <button key={p} type="button" className="btn" aria-pressed={period === p} onClick={() => show({ period: p })}>
              {name}
            </button>
          ))}
        </div>
        {lines.length > 1 || (lineId && lines.length > 0) ? (
          <Field label="Line" className="dash-line">
            {(p) => (
              <select {...p} value={line?.id ?? lineId ?? ''} onChange={(e) => show({ line: e.target.value || null })}>
                <option value="">All lines</option>
                {lines.map((l) => (
                  <option key={l.id} value={l.id}>
                    {lineName(l)}
                  </option>
                ))}
                {lineId && !line ? <option value={lineId}>A line not in this account</option> : null}
              </select>
            )}
          </Field>
        ) : null}
      </div>
      <ErrorAlert message={res.error} />
      {!shown ? (
        res.error ? null : (
          <p className="muted" role="status">
            Loading…
          </p>
        )
      ) : (
        <>
          {line ? <p className="muted dash-scope">Calls to {lineName(line)} only.</p> : null}
          <DashboardBody d={shown} label={label} than={than} />
        </>
      )}
    </main>
  );
}

function DashboardBody({ d, label, than }: { d: Report; label: string; than: string }) {
  const c = d.current;
  const p = d.previous;
  const money = change(c.recoveredCents, p.recoveredCents, than, true);
  const cards: Array<[string, number, number]> = [
    ['Missed calls', c.missedCalls, p.missedCalls],
    ['Texted back', c.texted, p.texted],
    ['Replied', c.replied, p.replied],
    ['Booked', c.booked, p.booked],
    ['Won', c.won, p.won],
  ];
  return (
    <>
      <section className="card dash-hero" aria-labelledby="dash-hero">
        <h2 id="dash-hero" className="sr-only">
          Recovered money, {label.toLowerCase()}
        </h2>
        <p className="dash-hero-line">
          Recovered <strong className="dash-money">{formatMoney(c.recoveredCents)}</strong> from {plural(c.missedCalls, 'missed call')}
        </p>
        <p className={`dash-change dash-${money.trend}`}>{money.text}</p>
      </section>

      <h2 className="dash-h2">{label}</h2>
      <dl className="stats dash-stats">
        {cards.map(([name, cur, prev]) => {
          const ch = change(cur, prev, than);
          return (
            <div key={name}>
              <dt>{name}</dt>
              <dd>{cur.toLocaleString()}</dd>
              <dd className={`dash-change dash-${ch.trend}`}>{ch.text}</dd>
            </div>
          );
        })}
      </dl>

      <h2 className="dash-h2">Response times</h2>
      <dl className="stats dash-stats dash-times">
        <div>
          <dt>Missed call to text-back</dt>
          <dd>{formatDuration(c.textBackSeconds.median)}</dd>
          <dd className="muted small">
            {c.textBackSeconds.count > 0 ? `Median of ${plural(c.textBackSeconds.count, 'text')}; 9 in 10 within ${formatDuration(c.textBackSeconds.p90)}` : 'No text-backs yet'}
          </dd>
        </div>
        <div>
          <dt>Their text to your first reply</dt>
          <dd>{formatDuration(c.humanReplySeconds.median)}</dd>
          <dd className="muted small">
            {c.humanReplySeconds.count > 0 ? `Median of ${plural(c.humanReplySeconds.count, 'reply', 'replies')}` : 'No replies by your team yet'}
            {p.humanReplySeconds.median !== null ? ` · ${formatDuration(p.humanReplySeconds.median)} ${than}` : ''}
          </dd>
        </div>
      </dl>

      <Funnel c={c} />
      {d.series.length > 1 ? <DailyChart series={d.series} label={label} /> : null}
    </>
  );
}

function Funnel({ c }: { c: Metrics }) {
  const steps: Array<[string, number]> = [
    ['Missed calls', c.missedCalls],
    ['Texted back', c.texted],
    ['Replied', c.replied],
    ['Booked', c.booked],
    ['Won', c.won],
  ];
  const max = Math.max(1, c.missedCalls, ...steps.map(([, n]) => n));
  return (
    <section className="card dash-funnel" aria-labelledby="dash-funnel">
      <h2 id="dash-funnel">From missed call to won job</h2>
      <ul role="list">
        {steps.map(([name, n]) => (
          <li key={name}>
            <span className="dash-funnel-name">{name}</span>
            <span className="dash-funnel-track" aria-hidden="true">
              <span className="dash-funnel-bar" style={{ width: `${(n / max) * 100}%` }} />
            </span>
            <span className="dash-funnel-n">{n.toLocaleString()}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const dayName = (date: string) => new Date(`${date}T12:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

function DailyChart({ series, label }: { series: Day[]; label: string }) {
  const max = Math.max(1, ...series.map((d) => d.missed));
  const W = 300;
  const H = 120;
  const slot = W / series.length;
  const bar = Math.max(1, slot * 0.7);
  const y = (n: number) => H - (n / max) * H;
  const total = series.reduce((s, d) => s + d.missed, 0);
  const busiest = series.reduce((a, b) => (b.missed > a.missed ? b : a), series[0]!);
  const summary =
    total === 0
      ? `No missed calls ${label.toLowerCase()}.`
      : `${plural(total, 'missed call')} over ${series.length} days; the busiest day was ${dayName(busiest.date)} with ${busiest.missed}.`;
  return (
    <figure className="card dash-chart">
      <figcaption>
        <h2 className="dash-chart-title">Missed calls per day</h2>
        <p className="muted small">{summary}</p>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Bar chart: ${summary} The table below has every day.`} preserveAspectRatio="none">
        {series.map((d, i) => {
          const x = i * slot + (slot - bar) / 2;
          return (
            <g key={d.date}>
              <rect x={x} y={y(d.missed)} width={bar} height={H - y(d.missed)} className="bar-missed" />
              <rect x={x} y={y(d.texted)} width={bar} height={H - y(d.texted)} className="bar-texted" />
              <rect x={x} y={y(d.replied)} width={bar} height={H - y(d.replied)} className="bar-replied" />
            </g>
          );
        })}
        <line x1="0" x2={W} y1={H} y2={H} className="axis" />
      </svg>
      <p className="dash-axis" aria-hidden="true">
        <span>{dayName(series[0]!.date)}</span>
        <span>{dayName(series.at(-1)!.date)}</span>
      </p>
      <ul className="dash-legend" aria-hidden="true">
        <li>
          <span className="swatch bar-missed" /> Missed
        </li>
        <li>
          <span className="swatch bar-texted" /> Texted back
        </li>
        <li>
          <span className="swatch bar-replied" /> Replied
        </li>
      </ul>
      <div className="sr-only">
      <table>
        <caption>Missed calls, text-backs and replies per day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Missed</th>
            <th scope="col">Texted back</th>
            <th scope="col">Replied</th>
          </tr>
        </thead>
        <tbody>
          {series.map((d) => (
            <tr key={d.date}>
              <th scope="row">{dayName(d.date)}</th>
              <td>{d.missed}</td>
              <td>{d.texted}</td>
              <td>{d.replied}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </figure>
  );
}
