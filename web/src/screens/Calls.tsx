// Calls: every call with its outcome and the sentence that says why it was (not) texted back,
// with voicemail and transcript; newest first, paged.
import { useState } from 'react';
import type { Call, Line } from '../api.ts';
import { formatFull, formatPhone, formatWhen } from '../format.ts';
import { useResource } from '../hooks.ts';
import { Link } from '../router.tsx';
import { ErrorAlert, Field } from '../ui/Field.tsx';

const OUTCOMES: Record<string, string> = {
  answered: 'Answered',
  missed: 'Missed',
  busy: 'Busy',
  failed: 'Failed',
  voicemail: 'Voicemail',
  rejected: 'Rejected',
};

function duration(c: Call): string {
  if (!c.endedAt) return '';
  const s = Math.round((new Date(c.endedAt).getTime() - new Date(c.startedAt).getTime()) / 1000);
  if (s <= 0) return '';
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function Calls() {
  const [decision, setDecision] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const before = cursors[cursors.length - 1];
  const path = `/calls?limit=25${decision ? `&decision=${decision}` : ''}${before ? `&before=${encodeURIComponent(before)}` : ''}`;
  // Live only on the first page: later pages stay put while you read them.
  const calls = useResource<{ calls: Call[]; next: string | null }>(path, (e) => !before && (e.type === 'call.decided' || e.type === 'message.status'));
  const lines = useResource<{ lines: Line[] }>('/lines');
  const lineName = (id: string) => {
    const l = lines.data?.lines.find((x) => x.id === id);
    return l ? l.name || formatPhone(l.number) : '';
  };
  const list = calls.data?.calls ?? [];

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Calls</h1>
        <p className="lead-text">Every call to your lines, and what Ringback did about it.</p>
      </div>
      <div className="toolbar">
        <Field label="Show">
          {(p) => (
            <select {...p} value={decision} onChange={(e) => { setDecision(e.target.value); setCursors([]); }}>
              <option value="">All calls</option>
              <option value="send">Texted back</option>
              <option value="skip">Not texted</option>
            </select>
          )}
        </Field>
      </div>
      {calls.error ? <ErrorAlert message={calls.error} /> : null}
      {calls.data && list.length === 0 ? (
        <div className="card empty">
          <p>
            <strong>No calls {decision ? 'like that ' : ''}yet.</strong>
          </p>
          <p className="muted">
            Calls to your lines show up here with the reason for each text-back. <Link to="/get-started#demo-phone">Call the demo line</Link> to see one.
          </p>
        </div>
      ) : null}
      {list.length ? (
        <div className="table-wrap card">
          <table className="calls-table">
            <caption className="sr-only">Calls, newest first</caption>
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">When</th>
                <th scope="col">Outcome</th>
                <th scope="col">What Ringback did</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id}>
                  <td data-label="From">
                    <strong>{formatPhone(c.direction === 'outbound' ? c.to : c.from)}</strong>
                    <span className="muted small block">
                      {c.direction === 'outbound' ? 'You called them' : `to ${lineName(c.lineId)}`}
                    </span>
                  </td>
                  <td data-label="When">
                    <time dateTime={c.startedAt} title={formatFull(c.startedAt)}>
                      {formatWhen(c.startedAt)}
                    </time>
                    {duration(c) ? <span className="muted small block">{duration(c)}</span> : null}
                  </td>
                  <td data-label="Outcome">
                    <span className={`pill pill-${c.outcome ?? 'none'}`}>{c.outcome ? OUTCOMES[c.outcome] ?? c.outcome : c.status}</span>
                  </td>
                  <td data-label="What Ringback did">
                    <span className={c.decision?.action === 'send' ? 'decision-send' : 'decision-skip'}>
                      {c.decision?.explanation ?? (c.direction === 'outbound' ? 'A call back from your line.' : 'No decision yet.')}
                    </span>
                    {c.voicemail ? (
                      <div className="voicemail">
                        <audio controls preload="none" src={c.voicemail.url} aria-label={`Voicemail from ${formatPhone(c.from)}`}>
                          <a href={c.voicemail.url}>Download the voicemail</a>
                        </audio>
                        {c.voicemail.transcript ? (
                          <blockquote className="transcript">
                            <span className="sr-only">Transcript: </span>“{c.voicemail.transcript}”
                          </blockquote>
                        ) : (
                          <p className="muted small">No transcript.</p>
                        )}
                      </div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav className="pager" aria-label="Pages of calls">
        {cursors.length ? (
          <button type="button" className="btn btn-quiet" onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer calls
          </button>
        ) : null}
        {calls.data?.next ? (
          <button type="button" className="btn btn-quiet" onClick={() => setCursors((c) => [...c, calls.data!.next!])}>
            Older calls
          </button>
        ) : null}
      </nav>
    </main>
  );
}
