// Inbox: conversations (search, status, unread) and a thread with delivery status, composer,
// assign/snooze/resolve, the needs-attention flag, notes, and the contact with tap-to-call and
// timeline. Live: every list and the open thread refetch what each event touches.
import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, post, patch, type Contact, type Conversation, type LiveEvent, type Member, type Message, type Note, type TimelineItem } from '../api.ts';
import { contactName, formatFull, formatPhone, formatWhen, messageStatusText, plural } from '../format.ts';
import { useAction, useResource } from '../hooks.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { measure, measureLine, type Measure } from '../sms.ts';
import { ErrorAlert, Field, fieldText } from '../ui/Field.tsx';

const STATUS_FILTERS: Array<[string, string]> = [
  ['open,pending', 'Open'],
  ['open', 'Waiting on us'],
  ['pending', 'Waiting on customer'],
  ['snoozed', 'Snoozed'],
  ['resolved', 'Resolved'],
  ['open,pending,snoozed,resolved', 'All'],
];

const touchesList = (e: LiveEvent) => e.type.startsWith('message.') || e.type === 'conversation.updated' || e.type === 'contact.updated' || e.type === 'call.decided';

export function Inbox({ conversationId }: { conversationId: string | null }) {
  const [status, setStatus] = useState('open,pending');
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [search, setSearch] = useState('');
  const [limit, setLimit] = useState(100);
  const path = `/conversations?status=${status}${unreadOnly ? '&unread=true' : ''}&limit=${limit}`;
  const list = useResource<{ conversations: Conversation[]; next: string | null }>(path, touchesList);
  const team = useResource<{ members: Member[] }>('/team');

  const q = search.trim().toLowerCase();
  const digits = q.replace(/\D/g, '');
  const shown = (list.data?.conversations ?? []).filter((c) => {
    if (!q) return true;
    if ((c.contact.name ?? '').toLowerCase().includes(q)) return true;
    return digits.length > 0 && c.contact.number.replace(/\D/g, '').includes(digits);
  });

  return (
    <main id="main" className={`inbox ${conversationId ? 'has-thread' : ''}`}>
      <div className="inbox-list">
        <div className="inbox-head">
          <h1>Inbox</h1>
          <div className="filters">
            <Field label="Search" className="search-field">
              {(p) => <input {...p} type="search" placeholder="Name or number" value={search} onChange={(e) => setSearch(e.target.value)} />}
            </Field>
            <div className="filter-row">
              <Field label="Status">
                {(p) => (
                  <select {...p} value={status} onChange={(e) => setStatus(e.target.value)}>
                    {STATUS_FILTERS.map(([v, l]) => (
                      <option key={v} value={v}>
                        {l}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <label className="checkbox">
                <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} /> Unread only
              </label>
            </div>
          </div>
        </div>
        {list.error ? <ErrorAlert message={list.error} /> : null}
        <ul className="conv-list" role="list" aria-label="Conversations">
          {shown.map((c) => (
            <li key={c.id}>
              <Link to={`/inbox/${c.id}`} className={`conv ${c.id === conversationId ? 'active' : ''} ${c.unreadCount ? 'unread' : ''}`} aria-current={c.id === conversationId ? 'true' : undefined}>
                <span className="conv-top">
                  <span className="conv-name">{contactName(c.contact)}</span>
                  <span className="conv-time">{formatWhen(c.lastMessageAt ?? c.createdAt)}</span>
                </span>
                <span className="conv-preview">
                  {c.lastMessage ? `${c.lastMessage.direction === 'outbound' ? 'You: ' : ''}${c.lastMessage.preview}` : 'No messages yet'}
                </span>
                <span className="conv-tags">
                  {c.unreadCount ? <span className="badge badge-unread">{plural(c.unreadCount, 'unread', 'unread')}</span> : null}
                  {c.needsAttention ? <span className="badge badge-warn">Needs attention</span> : null}
                  {c.contact.optedOut ? <span className="badge">Opted out</span> : null}
                  {c.status === 'snoozed' && c.snoozedUntil ? <span className="badge">Snoozed until {formatWhen(c.snoozedUntil)}</span> : null}
                  {c.status === 'resolved' ? <span className="badge">Resolved</span> : null}
                  {c.assigneeUserId ? <span className="badge badge-soft">{memberName(team.data?.members, c.assigneeUserId)}</span> : null}
                </span>
              </Link>
            </li>
          ))}
        </ul>
        {!list.data && list.loading ? <p className="muted pad">Loading conversations…</p> : null}
        {list.data && shown.length === 0 ? (
          <div className="empty pad">
            {q ? (
              <p>No conversation matches “{search}”.</p>
            ) : status === 'open,pending' ? (
              <>
                <p>
                  <strong>No open conversations.</strong>
                </p>
                <p className="muted">
                  When you miss a call, Ringback texts the caller back and the conversation lands here. <Link to="/get-started#demo-phone">Try it with the demo phone</Link>.
                </p>
              </>
            ) : (
              <p>Nothing here.</p>
            )}
          </div>
        ) : null}
        {list.data?.next ? (
          <p className="pad">
            <button type="button" className="btn btn-quiet btn-block" onClick={() => setLimit((l) => Math.min(l + 100, 500))} disabled={limit >= 500}>
              Show more conversations
            </button>
          </p>
        ) : null}
      </div>
      {conversationId ? (
        <Thread key={conversationId} id={conversationId} members={team.data?.members ?? []} onChanged={list.reload} />
      ) : (
        <div className="inbox-placeholder" aria-hidden="true">
          <p>Pick a conversation to read and reply.</p>
        </div>
      )}
    </main>
  );
}

function memberName(members: Member[] | undefined, id: string): string {
  const m = members?.find((x) => x.userId === id);
  return m ? m.name || m.email : 'Someone';
}

// ---------- The thread ----------

function Thread({ id, members, onChanged }: { id: string; members: Member[]; onChanged: () => void }) {
  const { session } = useSession();
  const touches = (e: LiveEvent) => e.data.conversationId === id || e.type === 'contact.updated' || e.type === 'call.decided';
  const conv = useResource<{ conversation: Conversation & { lead?: { stage: string } | null } }>(`/conversations/${id}`, touches);
  const messages = useResource<{ messages: Message[] }>(`/conversations/${id}/messages?limit=100`, touches);
  const notes = useResource<{ notes: Note[] }>(`/conversations/${id}/notes`, (e) => e.data.conversationId === id);
  const c = conv.data?.conversation ?? null;
  const action = useAction();
  const [open, setOpen] = useState<'assign' | 'snooze' | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  const logRef = useRef<HTMLDivElement>(null);

  // A menu closes on Escape (focus back on its button) and on a click outside it.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      const button = document.querySelector<HTMLButtonElement>(`[aria-controls="${open}-menu"]`);
      setOpen(null);
      button?.focus();
    };
    const onClick = (e: MouseEvent) => {
      if (!(e.target as Element).closest('.menu-wrap')) setOpen(null);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [open]);

  // Reading the thread marks it read (again, when a new text arrives while it is open).
  useEffect(() => {
    if (c && c.unreadCount > 0 && document.visibilityState === 'visible') {
      void post(`/conversations/${id}/read`).then(onChanged, () => undefined);
    }
  }, [c, id, onChanged]);

  // Newest at the bottom, in view.
  const count = messages.data?.messages.length ?? 0;
  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [count]);

  const act = async (fn: () => Promise<unknown>) => {
    await action.run(fn);
    setOpen(null);
    conv.reload();
    onChanged();
  };

  if (conv.error && !c) {
    return (
      <section className="thread" aria-label="Conversation">
        <div className="thread-head">
          <Link to="/inbox" className="back-link">
            ← All conversations
          </Link>
        </div>
        <ErrorAlert message={conv.error} />
      </section>
    );
  }
  if (!c) {
    return (
      <section className="thread" aria-label="Conversation">
        <p className="muted pad">Loading the conversation…</p>
      </section>
    );
  }

  const resolved = c.status === 'resolved';
  const assignee = c.assigneeUserId ? memberName(members, c.assigneeUserId) : null;
  const now = new Date();
  const tomorrow8 = new Date(now);
  tomorrow8.setDate(now.getDate() + 1);
  tomorrow8.setHours(8, 0, 0, 0);
  const nextWeek = new Date(now);
  nextWeek.setDate(now.getDate() + ((8 - now.getDay()) % 7 || 7));
  nextWeek.setHours(8, 0, 0, 0);
  const presets: Array<[string, Date]> = [
    ['1 hour', new Date(now.getTime() + 3600_000)],
    ['Tomorrow 8 AM', tomorrow8],
    ['Next week', nextWeek],
  ];

  return (
    <>
      <section className="thread" aria-label="Conversation">
        <div className="thread-head">
          <Link to="/inbox" className="back-link">
            ← All conversations
          </Link>
          <div className="thread-title">
            <h2>{contactName(c.contact)}</h2>
            <p className="muted small">
              {c.contact.name ? `${formatPhone(c.contact.number)} · ` : ''}on {c.line.name || formatPhone(c.line.number)} · {statusWord(c.status)}
              {c.status === 'snoozed' && c.snoozedUntil ? ` until ${formatFull(c.snoozedUntil)}` : ''}
              {assignee ? ` · Assigned to ${assignee}` : ' · Unassigned'}
            </p>
          </div>
          <div className="thread-actions">
            <div className="menu-wrap">
              <button type="button" className="btn btn-quiet" aria-expanded={open === 'assign'} aria-controls="assign-menu" onClick={() => setOpen(open === 'assign' ? null : 'assign')}>
                Assign
              </button>
              {open === 'assign' ? (
                <div className="menu" id="assign-menu">
                  <p className="menu-title">Assign to</p>
                  <ul className="plain-list">
                    {members.map((m) => (
                      <li key={m.userId}>
                        <button type="button" className="menu-item" aria-pressed={c.assigneeUserId === m.userId} onClick={() => void act(() => post(`/conversations/${id}/assign`, { userId: m.userId }))}>
                          {m.name || m.email}
                          {m.userId === session.user.id ? ' (me)' : ''}
                        </button>
                      </li>
                    ))}
                    <li>
                      <button type="button" className="menu-item" aria-pressed={c.assigneeUserId === null} onClick={() => void act(() => post(`/conversations/${id}/assign`, { userId: null }))}>
                        Nobody
                      </button>
                    </li>
                  </ul>
                </div>
              ) : null}
            </div>
            <div className="menu-wrap">
              <button type="button" className="btn btn-quiet" aria-expanded={open === 'snooze'} aria-controls="snooze-menu" onClick={() => setOpen(open === 'snooze' ? null : 'snooze')} disabled={resolved}>
                Snooze
              </button>
              {open === 'snooze' ? (
                <div className="menu" id="snooze-menu">
                  <p className="menu-title">Hide until… (a reply wakes it earlier)</p>
                  <ul className="plain-list">
                    {presets.map(([label, until]) => (
                      <li key={label}>
                        <button type="button" className="menu-item" onClick={() => void act(() => post(`/conversations/${id}/snooze`, { until: until.toISOString() }))}>
                          {label} <span className="muted small">{formatFull(until.toISOString())}</span>
                        </button>
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </div>
            {resolved ? (
              <button type="button" className="btn btn-quiet" onClick={() => void act(() => post(`/conversations/${id}/reopen`))}>
                Reopen
              </button>
            ) : (
              <button type="button" className="btn btn-primary" onClick={() => void act(() => post(`/conversations/${id}/resolve`))}>
                Resolve
              </button>
            )}
          </div>
        </div>
        <ErrorAlert message={action.error} />
        {c.needsAttention ? (
          <div className="attention" role="note">
            <p>
              <strong>Needs attention.</strong> {c.attentionReason ?? 'Ringback was not sure what to do with a message here.'} {c.automationPaused ? 'Automatic follow-ups are paused.' : ''}
            </p>
            <button type="button" className="btn btn-primary btn-small" onClick={() => void act(() => patch(`/conversations/${id}`, { needsAttention: false, automationPaused: false }))}>
              Clear flag and resume automation
            </button>
          </div>
        ) : c.automationPaused ? (
          <div className="attention attention-soft" role="note">
            <p>Automatic follow-ups are paused for this conversation.</p>
            <button type="button" className="btn btn-quiet btn-small" onClick={() => void act(() => patch(`/conversations/${id}`, { automationPaused: false }))}>
              Resume automation
            </button>
          </div>
        ) : null}
        <div className="messages" role="log" aria-label="Messages" ref={logRef} tabIndex={0}>
          {messages.data?.messages.length === 0 ? <p className="muted pad">No messages yet.</p> : null}
          {messages.data?.messages.map((m) => (
            <div key={m.id} className={`msg ${m.direction === 'inbound' ? 'msg-in' : 'msg-out'} ${m.status === 'failed' || m.status === 'undelivered' ? 'msg-failed' : ''}`}>
              <p className="msg-body">{m.body}</p>
              <p className="msg-meta">
                <span>{formatWhen(m.createdAt)}</span>
                {m.direction === 'outbound' ? <span> · {authorWord(m)}</span> : null}
                <span className="msg-status">
                  {m.error && m.direction === 'outbound' && ['failed', 'undelivered', 'expired'].includes(m.status) ? '' : ' · '}
                  {messageStatusText(m)}
                </span>
              </p>
            </div>
          ))}
        </div>
        {warnings.length ? (
          <div className="alert alert-warn thread-warning" role="status">
            <p>{warnings.join(' ')}</p>
            <button type="button" className="btn-link" onClick={() => setWarnings([])}>
              Dismiss
            </button>
          </div>
        ) : null}
        <Composer conversation={c} onSent={(w) => { setWarnings(w); messages.reload(); onChanged(); }} />
      </section>
      <ContactPanel conversation={c} notes={notes.data?.notes ?? []} onNote={notes.reload} members={members} />
    </>
  );
}

function statusWord(s: string): string {
  return s === 'open' ? 'Waiting on us' : s === 'pending' ? 'Waiting on customer' : s === 'snoozed' ? 'Snoozed' : 'Resolved';
}

function authorWord(m: Message): string {
  if (m.author === 'automation') return m.reason === 'missed_call' ? 'Text-back' : m.reason === 'follow_up' ? 'Follow-up' : 'Automatic';
  if (m.author === 'system') return 'Ringback';
  return 'Sent by a person';
}

// ---------- Composer ----------

function Composer({ conversation, onSent }: { conversation: Conversation; onSent: (warnings: string[]) => void }) {
  const [body, setBody] = useState('');
  const [server, setServer] = useState<Measure | null>(null);
  const { busy, error, fields, run } = useAction();
  const local = useMemo(() => measure(body), [body]);
  const m = server && server.characters === local.characters ? server : local;

  useEffect(() => {
    setServer(null);
    if (!body) return;
    const ctrl = new AbortController();
    const t = setTimeout(() => {
      api<Measure>('POST', '/messages/measure', { body }, { signal: ctrl.signal }).then(setServer, () => undefined);
    }, 300);
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
  }, [body]);

  const blocked = conversation.contact.optedOut ? 'This contact opted out of texts. Ringback will not text them unless they text START.' : conversation.contact.blocked ? 'This contact is blocked.' : null;

  const send = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!body.trim()) return;
    const res = await run(() => post<{ warnings?: unknown }>(`/conversations/${conversation.id}/messages`, { body }));
    if (res !== undefined) {
      setBody('');
      const w = Array.isArray(res?.warnings) ? res.warnings.map((x) => (typeof x === 'string' ? x : (x as { message?: string }).message ?? '')).filter(Boolean) : [];
      onSent(w);
    }
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void send();
  };

  return (
    <form className="composer" onSubmit={send} noValidate>
      <ErrorAlert message={error} />
      {blocked ? <p className="alert alert-warn">{blocked}</p> : null}
      <Field label="Message" error={fieldText('Message', fields.body)}>
        {(p) => <textarea {...p} rows={3} maxLength={1600} value={body} onChange={(e) => setBody(e.target.value)} onKeyDown={onKey} placeholder={blocked ? '' : 'Write a reply… (Ctrl+Enter sends)'} disabled={!!blocked} />}
      </Field>
      <div className="composer-foot">
        <p className="count-line" aria-live="polite">
          {body ? measureLine(m) : 'A text holds 160 plain characters per segment.'}
        </p>
        <button type="submit" className="btn btn-primary" disabled={busy || !body.trim() || !!blocked}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </div>
      {m.encoding === 'UCS-2' && body ? (
        <p className="warn small">
          UCS-2: {m.nonGsmCharacters?.length ? `“${m.nonGsmCharacters.join(' ')}” ` : 'a special character '}makes this a UCS-2 text, so each segment holds 70 characters instead of 160 and costs more.
        </p>
      ) : null}
    </form>
  );
}

// ---------- Contact panel: tap to call, details, notes, timeline ----------

function ContactPanel({ conversation, notes, onNote, members }: { conversation: Conversation; notes: Note[]; onNote: () => void; members: Member[] }) {
  const contactId = conversation.contact.id;
  const touches = (e: LiveEvent) => e.data.contactId === contactId || e.data.conversationId === conversation.id || e.type === 'task.updated' || e.type === 'call.decided';
  const contact = useResource<{ contact: Contact }>(`/contacts/${contactId}`, touches);
  const timeline = useResource<{ items: TimelineItem[]; next?: string | null }>(`/contacts/${contactId}/timeline?limit=50`, touches);
  const [note, setNote] = useState('');
  const { busy, error, fields, run } = useAction();
  const ct = contact.data?.contact;

  const addNote = async (e: FormEvent) => {
    e.preventDefault();
    if (!note.trim()) return;
    const ok = await run(() => post(`/conversations/${conversation.id}/notes`, { body: note }));
    if (ok !== undefined) {
      setNote('');
      onNote();
      timeline.reload();
    }
  };

  return (
    <aside className="contact-panel" aria-label="Contact">
      <h2 className="sr-only">Contact</h2>
      <div className="contact-card">
        <p className="contact-name">{contactName(conversation.contact)}</p>
        {conversation.contact.name ? <p className="muted">{formatPhone(conversation.contact.number)}</p> : <p className="muted small">No name saved</p>}
        <a className="btn btn-call" href={`tel:${conversation.contact.number}`}>
          <PhoneIcon />
          Call
        </a>
        <ul className="facts">
          {conversation.contact.optedOut ? (
            <li className="fact-warn">
              Opted out of texts{ct?.optOut?.since ? ` on ${formatFull(ct.optOut.since)}` : ''}
              {ct?.optOut?.words ? ` (“${ct.optOut.words}”)` : ''}
            </li>
          ) : (
            <li>Can receive texts</li>
          )}
          {conversation.contact.blocked ? <li className="fact-warn">Blocked</li> : null}
          {conversation.contact.isCustomer ? <li>Customer</li> : null}
          {ct?.lead ? <li>Lead stage: {stageWord(ct.lead.stage)}</li> : null}
          {ct?.email ? <li>{ct.email}</li> : null}
        </ul>
      </div>
      <div className="notes">
        <h3>Notes</h3>
        <p className="muted small">Private to your team; never sent to the contact.</p>
        {notes.length ? (
          <ul className="note-list">
            {notes.map((n) => (
              <li key={n.id}>
                <p>{n.body}</p>
                <p className="muted small">
                  {n.authorUserId ? memberName(members, n.authorUserId) : 'Someone'} · {formatWhen(n.createdAt)}
                </p>
              </li>
            ))}
          </ul>
        ) : null}
        <form onSubmit={addNote} noValidate>
          <ErrorAlert message={error} />
          <Field label="Note" error={fieldText('Note', fields.body)}>
            {(p) => <textarea {...p} rows={2} maxLength={5000} value={note} onChange={(e) => setNote(e.target.value)} />}
          </Field>
          <button type="submit" className="btn btn-quiet" disabled={busy || !note.trim()}>
            Add note
          </button>
        </form>
      </div>
      <div className="timeline">
        <h3>Timeline</h3>
        {timeline.error ? <ErrorAlert message={timeline.error} /> : null}
        <ol className="timeline-list" role="list" aria-label="Timeline">
          {(timeline.data?.items ?? []).map((item, i) => (
            <li key={item.id ?? i} className={`tl tl-${item.type}`}>
              <span className="tl-when">{formatWhen((item.at as string | undefined) ?? (item.startedAt as string | undefined))}</span>
              <span className="tl-what">{describe(item, members)}</span>
            </li>
          ))}
        </ol>
      </div>
    </aside>
  );
}

const STAGES: Record<string, string> = { new: 'New', contacted: 'Contacted', engaged: 'Engaged', booked: 'Booked', won: 'Won', lost: 'Lost' };
export function stageWord(s: string): string {
  return STAGES[s] ?? s;
}

function describe(item: TimelineItem, members: Member[]): string {
  const s = (k: string) => (typeof item[k] === 'string' ? (item[k] as string) : '');
  switch (item.type) {
    case 'call': {
      const outcome = s('outcome');
      const dir = s('direction') === 'outbound' ? 'You called' : 'Called';
      return `${dir}${outcome ? `: ${outcome === 'missed' ? 'missed' : outcome}` : ''}`;
    }
    case 'decision':
      return s('explanation') || 'Decided about a text-back';
    case 'message': {
      const body = s('body');
      const short = body.length > 90 ? body.slice(0, 90) + '…' : body;
      return `${s('direction') === 'inbound' ? 'Texted' : 'We texted'}: “${short}”`;
    }
    case 'note':
      return `Note: ${s('body')}`;
    case 'task': {
      const change = s('change');
      const who = typeof item.assigneeUserId === 'string' ? ` (${memberName(members, item.assigneeUserId)})` : '';
      return `Task ${change || 'updated'}: ${s('title')}${who}`;
    }
    case 'stage_change':
      return `Lead moved ${s('from') ? `from ${stageWord(s('from'))} ` : ''}to ${stageWord(s('to'))}`;
    case 'opt_out':
      return 'Opted out of texts';
    case 'opt_in':
      return 'Opted back in to texts';
    case 'follow_up':
      return `Follow-up: ${s('event') || s('change') || s('status') || 'updated'}${s('reason') ? ` (${s('reason')})` : ''}`;
    default:
      return item.type.replace(/_/g, ' ');
  }
}

function PhoneIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18" fill="currentColor">
      <path d="M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z" />
    </svg>
  );
}
