// Pipeline: leads by stage with counts and money. A lead moves by dragging its card to another
// column (mouse, pen or finger: Pointer Events, since the HTML5 drag API never fires on touch), or
// with its stage menu, which stays the keyboard and screen-reader path. Both go through one move:
// "won" asks for the job's value first, the card moves at once and goes back if the server says no.
import { useEffect, useLayoutEffect, useRef, useState, type FormEvent, type PointerEvent as ReactPointerEvent } from 'react';
import { errorMessage, patch, type Contact } from '../api.ts';
import { contactName, formatMoney, formatWhen } from '../format.ts';
import { useResource } from '../hooks.ts';
import { ErrorAlert, Field } from '../ui/Field.tsx';

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
const stageLabel = (stage: string) => STAGES.find(([s]) => s === stage)?.[1] ?? stage;

/** A press that moves less than this is a click, not a drag. */
const DRAG_THRESHOLD_PX = 6;
/** Within this distance of the window's (or the board's) edge, a drag scrolls it. */
const EDGE_PX = 56;

interface Drag {
  lead: Lead;
  name: string;
  /** The column it was picked up from. */
  from: string;
  /** The column under the pointer, if any. */
  over: string | null;
}

interface Gesture {
  pointerId: number;
  lead: Lead;
  name: string;
  from: string;
  startX: number;
  startY: number;
  x: number;
  y: number;
  /** Where in the card it was grabbed, so the floating copy stays under the finger. */
  offsetX: number;
  offsetY: number;
  width: number;
  dragging: boolean;
  over: string | null;
  frame: number | null;
}

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

  // Moves sent and not yet seen in a fresh list: the card shows in its new column meanwhile.
  const [moving, setMoving] = useState<Record<string, { to: string; settled: boolean }>>({});
  const [announcement, setAnnouncement] = useState('');
  const [moveError, setMoveError] = useState<string | null>(null);
  const [askWon, setAskWon] = useState<{ lead: Lead; name: string; from: string } | null>(null);

  useEffect(() => {
    // A list fetched after a move settled already has it (or a later one): stop overriding.
    setMoving((m) => {
      const left = Object.entries(m).filter(([, v]) => !v.settled);
      return left.length === Object.keys(m).length ? m : Object.fromEntries(left);
    });
  }, [leads.data]);

  const send = async (lead: Lead, who: string, to: string, valueCents?: number) => {
    setMoveError(null);
    setAnnouncement('');
    setMoving((m) => ({ ...m, [lead.id]: { to, settled: false } }));
    try {
      await patch(`/leads/${lead.id}`, valueCents === undefined ? { stage: to } : { stage: to, valueCents });
      setMoving((m) => ({ ...m, [lead.id]: { to, settled: true } }));
      setAnnouncement(`Moved ${who} to ${stageLabel(to)}`);
    } catch (err) {
      // The card goes back to where the server still has it.
      setMoving((m) => {
        const { [lead.id]: _gone, ...rest } = m;
        return rest;
      });
      setMoveError(`${who} was not moved to ${stageLabel(to)}: ${errorMessage(err)}`);
    }
    leads.reload();
    pipeline.reload();
  };

  /** The one way a card moves, from a drop or from the menu: "won" asks for the value first. */
  const requestMove = (lead: Lead, who: string, from: string, to: string) => {
    if (to === from) return;
    if (to === 'won') {
      setMoveError(null);
      setAskWon({ lead, name: who, from });
      return;
    }
    void send(lead, who, to);
  };

  const stageOf = (l: Lead) => moving[l.id]?.to ?? l.stage;
  const drag = useCardDrag({
    onDrop: requestMove,
    onCancel: (_lead, who, from) => setAnnouncement(`Move cancelled. ${who} stays in ${stageLabel(from)}.`),
  });

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
      <p className="muted small board-hint">Drag a card to another column to move the lead, or use its stage menu. Esc cancels a drag.</p>
      <ErrorAlert message={moveError} />
      <p className="sr-only" role="status">
        {announcement}
      </p>
      <div className={`board ${drag.state ? 'board-dragging' : ''}`} ref={drag.boardRef}>
        {STAGES.map(([stage, label]) => {
          const s = p?.stages.find((x) => x.stage === stage);
          const here = (leads.data?.leads ?? []).filter((l) => stageOf(l) === stage);
          const target = drag.state?.over === stage && drag.state.from !== stage;
          return (
            <section key={stage} className={`column column-${stage} ${target ? 'drop-target' : ''}`} aria-labelledby={`col-${stage}`} data-stage={stage}>
              <h2 id={`col-${stage}`}>
                {label} <span className="count">{s?.count ?? here.length}</span>
              </h2>
              <p className="muted small">{formatMoney(s?.valueCents ?? 0)}</p>
              <ul className="lead-list" role="list">
                {target && drag.state ? (
                  <li className="lead-drop-slot" aria-hidden="true">
                    Drop to move {drag.state.name} here
                  </li>
                ) : null}
                {here.map((l) => (
                  <LeadCard
                    key={l.id}
                    lead={l}
                    name={name(l.contactId)}
                    shownStage={stage}
                    dragging={drag.state?.lead.id === l.id}
                    onPointerDown={(e) => drag.begin(e, l, name(l.contactId), stage)}
                    onMove={(to) => requestMove(l, name(l.contactId), stage, to)}
                  />
                ))}
              </ul>
              {here.length === 0 && !target ? <p className="muted small column-empty">No leads</p> : null}
            </section>
          );
        })}
      </div>
      {drag.state ? (
        <div className="lead card lead-ghost" ref={drag.ghostRef} aria-hidden="true">
          <p className="lead-name">{drag.state.name}</p>
          <p className="muted small">{leadMoney(drag.state.lead)}</p>
        </div>
      ) : null}
      {askWon ? (
        <WonDialog
          lead={askWon.lead}
          name={askWon.name}
          onCancel={() => {
            setAnnouncement(`Move cancelled. ${askWon.name} stays in ${stageLabel(askWon.from)}.`);
            setAskWon(null);
          }}
          onConfirm={(valueCents) => {
            const { lead, name: who } = askWon;
            setAskWon(null);
            void send(lead, who, 'won', valueCents);
          }}
        />
      ) : null}
    </main>
  );
}

function leadMoney(lead: Lead): string {
  return `${formatMoney(lead.valueCents ?? lead.estimatedValueCents ?? 0)}${lead.valueCents === null ? ' (estimate)' : ''}`;
}

/**
 * Dragging a card with Pointer Events. A mouse drags the card by any part that is not a control; a
 * finger or pen only by the grip (which has touch-action: none), so swiping over cards still
 * scrolls the page. The column under the pointer is found with elementFromPoint (the floating copy
 * ignores the pointer); near an edge the window or the board scrolls.
 */
function useCardDrag(handlers: { onDrop: (lead: Lead, name: string, from: string, to: string) => void; onCancel: (lead: Lead, name: string, from: string) => void }) {
  const [state, setState] = useState<Drag | null>(null);
  const boardRef = useRef<HTMLDivElement | null>(null);
  const ghostRef = useRef<HTMLDivElement | null>(null);
  const latest = useRef(handlers);
  latest.current = handlers;
  // One set of listeners for the life of the screen: window listeners must be removed by the same
  // functions that were added.
  const [drag] = useState(() => createDragController({ setState, boardRef, ghostRef, handlers: latest }));

  // The floating copy appears on the first frame of the drag, already under the pointer.
  useLayoutEffect(() => {
    if (state) drag.placeGhost();
  }, [state, drag]);
  // Leaving the screen mid-drag must not leave listeners behind.
  useEffect(() => () => drag.finish('cancel'), [drag]);

  return { state, begin: drag.begin, boardRef, ghostRef };
}

function createDragController({
  setState,
  boardRef,
  ghostRef,
  handlers,
}: {
  setState: (update: (s: Drag | null) => Drag | null) => void;
  boardRef: { current: HTMLDivElement | null };
  ghostRef: { current: HTMLDivElement | null };
  handlers: { current: { onDrop: (lead: Lead, name: string, from: string, to: string) => void; onCancel: (lead: Lead, name: string, from: string) => void } };
}) {
  let g: Gesture | null = null;

  const placeGhost = () => {
    const el = ghostRef.current;
    if (!g || !el) return;
    el.style.width = `${g.width}px`;
    el.style.transform = `translate(${Math.round(g.x - g.offsetX)}px, ${Math.round(g.y - g.offsetY)}px) rotate(2deg)`;
  };

  const columnAt = (x: number, y: number): string | null => {
    const el = document.elementFromPoint(x, y);
    return el instanceof Element ? (el.closest<HTMLElement>('[data-stage]')?.dataset.stage ?? null) : null;
  };

  const track = () => {
    if (!g?.dragging) return;
    const over = columnAt(g.x, g.y);
    if (over !== g.over) {
      g.over = over;
      setState((s) => (s ? { ...s, over } : s));
    }
    placeGhost();
  };

  // Scrolls while the pointer rests near an edge (a phone's stacked columns, the desktop board).
  const autoScroll = () => {
    if (!g?.dragging) return;
    const speed = (d: number) => Math.max(1, Math.ceil(((EDGE_PX - d) / EDGE_PX) * 18));
    let moved = false;
    if (g.y < EDGE_PX && window.scrollY > 0) {
      window.scrollBy(0, -speed(g.y));
      moved = true;
    } else if (g.y > window.innerHeight - EDGE_PX) {
      const before = window.scrollY;
      window.scrollBy(0, speed(window.innerHeight - g.y));
      moved = window.scrollY !== before;
    }
    const board = boardRef.current;
    if (board && board.scrollWidth > board.clientWidth) {
      const r = board.getBoundingClientRect();
      if (g.x < r.left + EDGE_PX && board.scrollLeft > 0) {
        board.scrollLeft -= speed(g.x - r.left);
        moved = true;
      } else if (g.x > r.right - EDGE_PX && board.scrollLeft + board.clientWidth < board.scrollWidth) {
        board.scrollLeft += speed(r.right - g.x);
        moved = true;
      }
    }
    if (moved) track();
    g.frame = requestAnimationFrame(autoScroll);
  };

  const onPointerMove = (e: PointerEvent) => {
    if (!g || e.pointerId !== g.pointerId) return;
    g.x = e.clientX;
    g.y = e.clientY;
    if (!g.dragging) {
      if (Math.hypot(g.x - g.startX, g.y - g.startY) < DRAG_THRESHOLD_PX) return;
      g.dragging = true;
      document.documentElement.classList.add('dragging-lead');
      const { lead, name, from } = g;
      setState(() => ({ lead, name, from, over: null }));
      g.frame = requestAnimationFrame(autoScroll);
    }
    e.preventDefault();
    track();
  };
  const onPointerUp = (e: PointerEvent) => {
    if (g && e.pointerId === g.pointerId) finish('drop');
  };
  const onPointerCancel = (e: PointerEvent) => {
    if (g && e.pointerId === g.pointerId) finish('cancel');
  };
  // The column under a still pointer changes when the page or the board scrolls under it.
  const onScroll = () => track();
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || !g) return;
    e.preventDefault();
    e.stopPropagation();
    finish('cancel');
  };

  const finish = (how: 'drop' | 'cancel') => {
    const done = g;
    if (!done) return;
    g = null;
    if (done.frame !== null) cancelAnimationFrame(done.frame);
    window.removeEventListener('pointermove', onPointerMove);
    window.removeEventListener('pointerup', onPointerUp);
    window.removeEventListener('pointercancel', onPointerCancel);
    window.removeEventListener('keydown', onKeyDown, true);
    window.removeEventListener('scroll', onScroll, true);
    document.documentElement.classList.remove('dragging-lead');
    setState(() => null);
    if (!done.dragging) return;
    if (how === 'cancel') handlers.current.onCancel(done.lead, done.name, done.from);
    else if (done.over && done.over !== done.from) handlers.current.onDrop(done.lead, done.name, done.from, done.over);
  };

  const begin = (e: ReactPointerEvent<HTMLElement>, lead: Lead, name: string, from: string) => {
    if (g || !e.isPrimary || (e.pointerType === 'mouse' && e.button !== 0)) return;
    const target = e.target as Element;
    const onGrip = target.closest('.lead-grip') !== null;
    if (!onGrip && (e.pointerType !== 'mouse' || target.closest('select, input, button, a, label, textarea'))) return;
    const card = e.currentTarget.getBoundingClientRect();
    // No text selection (mouse) and no scrolling or zoom (the grip) while the card is held.
    e.preventDefault();
    g = {
      pointerId: e.pointerId,
      lead,
      name,
      from,
      startX: e.clientX,
      startY: e.clientY,
      x: e.clientX,
      y: e.clientY,
      offsetX: e.clientX - card.left,
      offsetY: e.clientY - card.top,
      width: card.width,
      dragging: false,
      over: null,
      frame: null,
    };
    window.addEventListener('pointermove', onPointerMove, { passive: false });
    window.addEventListener('pointerup', onPointerUp);
    window.addEventListener('pointercancel', onPointerCancel);
    window.addEventListener('keydown', onKeyDown, true);
    window.addEventListener('scroll', onScroll, true);
  };

  return { begin, finish, placeGhost };
}

function LeadCard({
  lead,
  name,
  shownStage,
  dragging,
  onPointerDown,
  onMove,
}: {
  lead: Lead;
  name: string;
  /** The column it is in now (a move in flight shows it in its new column). */
  shownStage: string;
  dragging: boolean;
  onPointerDown: (e: ReactPointerEvent<HTMLElement>) => void;
  onMove: (to: string) => void;
}) {
  const [stage, setStage] = useState(shownStage);
  useEffect(() => setStage(shownStage), [shownStage]);
  const move = (e: FormEvent) => {
    e.preventDefault();
    onMove(stage);
  };
  const id = `lead-${lead.id}`;
  return (
    <li className={`lead card ${dragging ? 'lead-dragging' : ''}`} data-lead-id={lead.id} onPointerDown={onPointerDown}>
      <div className="lead-head">
        <p className="lead-name">{name}</p>
        <span className="lead-grip" aria-hidden="true" title="Drag to another column">
          <svg viewBox="0 0 12 20" width="12" height="20" focusable="false">
            {[3, 10, 17].map((y) => (
              <g key={y}>
                <circle cx="3" cy={y} r="1.6" />
                <circle cx="9" cy={y} r="1.6" />
              </g>
            ))}
          </svg>
        </span>
      </div>
      <p className="muted small">
        {leadMoney(lead)} · since {formatWhen(lead.stageChangedAt)}
      </p>
      <form onSubmit={move} className="lead-move" noValidate>
        <label htmlFor={`${id}-stage`} className="sr-only">
          Stage for {name}
        </label>
        <select id={`${id}-stage`} value={stage} onChange={(e) => setStage(e.target.value)}>
          {STAGES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
        {stage !== shownStage ? (
          <button type="submit" className="btn btn-primary btn-small">
            Move
          </button>
        ) : null}
      </form>
    </li>
  );
}

/** The most a job may be worth, as the API allows: one million dollars. */
const MAX_DOLLARS = 1_000_000;

/** Parses "1,250" or "$1250.50" into cents; a message instead when it is not a value. */
export function parseDollars(text: string): { cents: number } | { error: string } {
  const t = text.trim().replace(/^\$/, '').replace(/,/g, '');
  if (t === '') return { error: 'Enter what the job was worth, in dollars.' };
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return { error: 'Enter an amount in dollars, like 450 or 1250.50.' };
  const dollars = Number(t);
  if (dollars > MAX_DOLLARS) return { error: `Enter at most ${formatMoney(MAX_DOLLARS * 100)}.` };
  return { cents: Math.round(dollars * 100) };
}

/** Asks what a won job was worth: a modal dialog (Esc or Cancel keeps the lead where it was). */
function WonDialog({ lead, name, onConfirm, onCancel }: { lead: Lead; name: string; onConfirm: (valueCents: number) => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement | null>(null);
  const [value, setValue] = useState(lead.valueCents !== null ? String(lead.valueCents / 100) : '');
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseDollars(value);
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    onConfirm(parsed.cents);
  };
  return (
    <dialog
      ref={ref}
      className="won-dialog card"
      aria-labelledby="won-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <form onSubmit={submit} noValidate>
        <h2 id="won-title">Mark {name} won</h2>
        <p className="muted small">What was the job worth? It counts as recovered money.</p>
        <Field
          label="Job value ($)"
          error={error}
          hint={lead.estimatedValueCents !== null && lead.valueCents === null ? `The estimate was ${formatMoney(lead.estimatedValueCents)}.` : undefined}
        >
          {(p) => <input {...p} inputMode="decimal" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />}
        </Field>
        <div className="won-actions">
          <button type="submit" className="btn btn-primary">
            Mark won
          </button>
          <button type="button" className="btn btn-quiet" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
