// Pipeline: leads by stage with counts and money; move a lead with its stage menu.
import { useState, type FormEvent } from 'react';
import { patch, type Contact } from '../api.ts';
import { contactName, formatMoney, formatWhen } from '../format.ts';
import { useAction, useResource } from '../hooks.ts';
import { ErrorAlert } from '../ui/Field.tsx';

interface Lead {
  id: string;
  contactId: string;
  stage: string;
  valueCents: number | null;
  estimatedValueCents: number | null;
  stageChangedAt: string;
}
interface Pipeline {
  stages: Array<{ stage: string; count: number; valueCents: number }>;
  totals: { leads: number; missedCalls: number; texted: number; replied: number; booked: number; won: number; recoveredRevenueCents: number; openValueCents: number };
}

const STAGES: Array<[string, string]> = [
  ['new', 'New'],
  ['contacted', 'Contacted'],
  ['engaged', 'Engaged'],
  ['booked', 'Booked'],
  ['won', 'Won'],
  ['lost', 'Lost'],
];

export function Pipeline() {
  const live = (e: { type: string }) => e.type === 'lead.stage_changed' || e.type === 'call.decided';
  const pipeline = useResource<{ pipeline: Pipeline }>('/pipeline', live);
  const leads = useResource<{ leads: Lead[] }>('/leads?limit=200', live);
  const contacts = useResource<{ contacts: Contact[] }>('/contacts?limit=200', (e) => e.type === 'contact.updated' || e.type === 'call.decided');
  const p = pipeline.data?.pipeline;
  const name = (id: string) => {
    const c = contacts.data?.contacts.find((x) => x.id === id);
    return c ? contactName(c) : 'A caller';
  };

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Pipeline</h1>
        <p className="lead-text">Money, not messages: every missed call is a lead until it is won or lost.</p>
      </div>
      <ErrorAlert message={pipeline.error ?? leads.error} />
      {p ? (
        <dl className="stats">
          <div>
            <dt>Missed calls</dt>
            <dd>{p.totals.missedCalls}</dd>
          </div>
          <div>
            <dt>Replied</dt>
            <dd>{p.totals.replied}</dd>
          </div>
          <div>
            <dt>Booked</dt>
            <dd>{p.totals.booked}</dd>
          </div>
          <div>
            <dt>Recovered</dt>
            <dd>{formatMoney(p.totals.recoveredRevenueCents)}</dd>
          </div>
        </dl>
      ) : null}
      <div className="board">
        {STAGES.map(([stage, label]) => {
          const s = p?.stages.find((x) => x.stage === stage);
          const here = (leads.data?.leads ?? []).filter((l) => l.stage === stage);
          return (
            <section key={stage} className={`column column-${stage}`} aria-labelledby={`col-${stage}`}>
              <h2 id={`col-${stage}`}>
                {label} <span className="count">{s?.count ?? here.length}</span>
              </h2>
              <p className="muted small">{formatMoney(s?.valueCents ?? 0)}</p>
              <ul className="lead-list" role="list">
                {here.map((l) => (
                  <LeadCard key={l.id} lead={l} name={name(l.contactId)} onMoved={() => { leads.reload(); pipeline.reload(); }} />
                ))}
              </ul>
              {here.length === 0 ? <p className="muted small column-empty">No leads</p> : null}
            </section>
          );
        })}
      </div>
    </main>
  );
}

function LeadCard({ lead, name, onMoved }: { lead: Lead; name: string; onMoved: () => void }) {
  const [stage, setStage] = useState(lead.stage);
  const [value, setValue] = useState(lead.valueCents ? String(lead.valueCents / 100) : '');
  const { busy, error, run } = useAction();
  const needsValue = stage === 'won';
  const move = async (e?: FormEvent) => {
    e?.preventDefault();
    const body: Record<string, unknown> = { stage };
    if (needsValue) body.valueCents = Math.round(Number(value) * 100);
    const ok = await run(() => patch(`/leads/${lead.id}`, body));
    if (ok !== undefined) onMoved();
  };
  const id = `lead-${lead.id}`;
  return (
    <li className="lead card">
      <p className="lead-name">{name}</p>
      <p className="muted small">
        {formatMoney(lead.valueCents ?? lead.estimatedValueCents ?? 0)}
        {lead.valueCents === null ? ' (estimate)' : ''} · since {formatWhen(lead.stageChangedAt)}
      </p>
      <form onSubmit={move} className="lead-move" noValidate>
        <label htmlFor={`${id}-stage`} className="sr-only">
          Stage for {name}
        </label>
        <select
          id={`${id}-stage`}
          value={stage}
          onChange={(e) => {
            setStage(e.target.value);
          }}
        >
          {STAGES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
        {needsValue ? (
          <>
            <label htmlFor={`${id}-value`} className="small">
              Job value ($)
            </label>
            <input id={`${id}-value`} inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />
          </>
        ) : null}
        {stage !== lead.stage ? (
          <button type="submit" className="btn btn-primary btn-small" disabled={busy}>
            Move
          </button>
        ) : null}
      </form>
      <ErrorAlert message={error} />
    </li>
  );
}
