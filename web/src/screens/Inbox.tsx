// Inbox: conversations (server-side search, status, unread) and a thread with delivery status,
// composer with saved replies, assign/snooze/resolve, the needs-attention flag, notes, and the
// contact with tap-to-call and timeline. Live: every list and the open thread refetch what each
// event touches.
import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, post, patch, type Contact, type Conversation, type LiveEvent, type Member, type Message, type Note, type TimelineItem } from '../api.ts';
import { contactName, formatFull, formatPhone, formatWhen, messageStatusText, plural } from '../format.ts';
import { useAction, useResource } from '../hooks.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import { measure, measureLine, type Measure } from '../sms.ts';
import { ErrorAlert, Field, fieldText, sentence } from '../ui/Field.tsx';

const STATUS_FILTERS: Array<[string, string]> = [
  ['open,pending', 'Open'],
  ['open', 'Waiting on us'],
  ['pending', 'Waiting on customer'],
  ['snoozed', 'Snoozed'],
  ['resolved', 'Resolved'],
  ['open,pending,snoozed,resolved', 'All'],
];
const ALL_STATUSES = 'open,pending,snoozed,resolved';

const touchesList = (e: LiveEvent) => e.type.startsWith('message.') || e.type === 'conversation.updated' || e.type === 'contact.updated' || e.type === 'call.decided';

/** The API's limit on a search (GET /conversations?q=). */
const MAX_SEARCH = 100;
/** Typing pauses this long before the list asks the server. */
const SEARCH_DELAY_MS = 250;

/**
 * The search box's words, settled: they change once typing pauses. The list's request follows
 * them, and useResource aborts the request of words already replaced.
 */
function useSettled(value: string, delayMs: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (value === settled) return;
    // Clearing the box shows every conversation at once; only typing waits.
    const t = setTimeout(() => setSettled(value), value === '' ? 0 : delayMs);
    return () => clearTimeout(t);
  }, [value, settled, delayMs]);
  return settled;
}

export function Inbox({ conversationId }: { conversationId: string | null }) {
  const loc = useLocation();
  const [status, setStatus] = useState('open,pending');
  const [unreadOnly, setUnreadOnly] = useState(false);
  // The search lives in the address (?q=) too, so a reload or a shared link finds the same list.
  const [search, setSearch] = useState(() => loc.query.get('q')?.slice(0, MAX_SEARCH) ?? '');
  const [limit, setLimit] = useState(100);
  const q = useSettled(search.trim(), SEARCH_DELAY_MS);
  const path = `/conversations?status=${status}${unreadOnly ? '&unread=true' : ''}${q ? `&q=${encodeURIComponent(q)}` : ''}&limit=${limit}`;
  const list = useResource<{ conversations: Conversation[]; next: string | null }>(path, touchesList);
  const team = useResource<{ members: Member[] }>('/team');
  const searchRef = useRef<HTMLInputElement>(null);

  // A new search starts from its first page.
  useEffect(() => setLimit(100), [q]);

  // Opening a conversation (a new path) keeps the search in the address.
  useEffect(() => {
    const url = new URL(window.location.href);
    if (q) url.searchParams.set('q', q);
    else url.searchParams.delete('q');
    const next = url.pathname + url.search + url.hash;
    if (next !== window.location.pathname + window.location.search + window.location.hash) navigate(next, { replace: true });
  }, [q, conversationId]);

  // The previous list stays on screen while the next one loads: remember which request it answers,
  // so that "no match" is said of the words typed, and a live refetch of the same list is not a search.
  const [listedPath, setListedPath] = useState<string | null>(null);
  useEffect(() => {
    if (list.data) setListedPath(path);
    // Only new data says which path it answers (an aborted request's data never arrives).
  }, [list.data]);
  const shown = list.data?.conversations ?? [];
  const searching = search.trim() !== q || (listedPath !== path && !list.error);
  const statusName = STATUS_FILTERS.find(([v]) => v === status)?.[1] ?? '';
  const clearSearch = () => {
    setSearch('');
    searchRef.current?.focus();
  };

  return (
    <main id="main" className={`inbox ${conversationId ? 'has-thread' : ''}`}>
      <div className="inbox-list">
        <div className="inbox-head">
          <h1>Inbox</h1>
          <div className="filters">
            <Field label="Search" className="search-field">
              {(p) => (
                <input
                  {...p}
                  ref={searchRef}
                  type="search"
                  placeholder="Name, number or words in a text"
                  maxLength={MAX_SEARCH}
                  value={search}
                  onChange={(e) => setSearch(e.target.value)}
                />
              )}
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
        <p className="sr-only" role="status">
          {!q || !list.data ? '' : searching ? 'Searching…' : `${plural(shown.length, 'conversation')}${list.data.next ? ' or more' : ''} ${shown.length === 1 ? 'matches' : 'match'} “${q}”.`}
        </p>
        <ul className={`conv-list ${searching ? 'conv-list-stale' : ''}`} role="list" aria-label="Conversations" aria-busy={searching}>
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
        {list.data && shown.length === 0 && !searching ? (
          <div className="empty pad">
            {q ? (
              <>
                <p>
                  No conversations match “{q}”{unreadOnly || status !== ALL_STATUSES ? ` among ${unreadOnly ? 'unread ' : ''}${status === ALL_STATUSES ? 'conversations' : `“${statusName}” conversations`}` : ''}.
                </p>
                <p className="muted small">Search looks in names, emails, numbers and the words of every text.</p>
                <p className="empty-actions">
                  <button type="button" className="btn btn-quiet btn-small" onClick={clearSearch}>
                    Clear search
                  </button>
                  {status !== ALL_STATUSES || unreadOnly ? (
                    <button
                      type="button"
                      className="btn btn-quiet btn-small"
                      onClick={() => {
                        setStatus(ALL_STATUSES);
                        setUnreadOnly(false);
                      }}
                    >
                      Search all conversations
                    </button>
                  ) : null}
                </p>
              </>
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
  const [inserted, setInserted] = useState<{ title: string; warnings: string[] } | null>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);
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
      setInserted(null);
      const w = Array.isArray(res?.warnings) ? res.warnings.map((x) => (typeof x === 'string' ? x : (x as { message?: string }).message ?? '')).filter(Boolean) : [];
      onSent(w);
    }
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void send();
  };

  // A saved reply goes where the cursor was (replacing a selection), so it can finish what was typed.
  const insert = (reply: RenderedReply) => {
    const el = textRef.current;
    const start = el ? el.selectionStart : body.length;
    const end = el ? el.selectionEnd : body.length;
    const before = body.slice(0, start);
    const gap = before && !/\s$/.test(before) ? ' ' : '';
    const next = (before + gap + reply.text + body.slice(end)).slice(0, 1600);
    setBody(next);
    setInserted({ title: reply.reply.title, warnings: reply.warnings });
    const caret = Math.min(next.length, (before + gap + reply.text).length);
    requestAnimationFrame(() => {
      textRef.current?.focus();
      textRef.current?.setSelectionRange(caret, caret);
    });
  };

  return (
    <form className="composer" onSubmit={send} noValidate>
      <ErrorAlert message={error} />
      {blocked ? <p className="alert alert-warn">{blocked}</p> : null}
      <Field label="Message" error={fieldText('Message', fields.body)}>
        {(p) => (
          <textarea
            {...p}
            ref={textRef}
            rows={3}
            maxLength={1600}
            value={body}
            onChange={(e) => setBody(e.target.value)}
            onKeyDown={onKey}
            placeholder={blocked ? '' : 'Write a reply… (Ctrl+Enter sends)'}
            disabled={!!blocked}
          />
        )}
      </Field>
      {inserted && body ? (
        <div className="inserted-note" role="status">
          <p className="hint">
            Inserted “{inserted.title}”. Read it over before you send.
          </p>
          {inserted.warnings.length ? (
            <ul className="inserted-warnings">
              {inserted.warnings.map((w) => (
                <li key={w}>{sentence(w)}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      <div className="composer-foot">
        <p className="count-line" aria-live="polite">
          {body ? measureLine(m) : 'A text holds 160 plain characters per segment.'}
        </p>
        <div className="composer-actions">
          <SavedRepliesMenu conversationId={conversation.id} disabled={!!blocked} onPick={insert} />
          <button type="submit" className="btn btn-primary" disabled={busy || !body.trim() || !!blocked}>
            {busy ? 'Sending…' : 'Send'}
          </button>
        </div>
      </div>
      {m.encoding === 'UCS-2' && body ? (
        <p className="warn small">
          UCS-2: {m.nonGsmCharacters?.length ? `“${m.nonGsmCharacters.join(' ')}” ` : 'a special character '}makes this a UCS-2 text, so each segment holds 70 characters instead of 160 and costs more.
        </p>
      ) : null}
    </form>
  );
}

// ---------- Saved replies: a menu in the composer ----------

interface SavedReply {
  id: string;
  title: string;
  body: string;
}

interface RenderedReply {
  reply: { id: string; title: string };
  text: string;
  warnings: string[];
}

/**
 * A menu button (WAI-ARIA menu pattern): Enter, Space or Down opens it on the first reply, Up on
 * the last; arrows, Home and End move; Escape closes it back on its button; Tab leaves it. A reply
 * picked is filled in by the server for this conversation's contact and line, then handed on.
 */
function SavedRepliesMenu({ conversationId, disabled, onPick }: { conversationId: string; disabled: boolean; onPick: (reply: RenderedReply) => void }) {
  const { session } = useSession();
  const [open, setOpen] = useState(false);
  const [wanted, setWanted] = useState(false);
  const [focusLast, setFocusLast] = useState(false);
  // Asked for on first open only, then kept fresh each time the menu opens.
  const replies = useResource<{ savedReplies: SavedReply[] }>(wanted ? '/saved-replies' : null);
  const { busy, error, run, setError } = useAction();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const popupRef = useRef<HTMLDivElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const list = replies.data?.savedReplies ?? [];
  const canManage = session.role !== 'agent';

  // The replies, or with none yet the link to where they are made.
  const items = () => [...(popupRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"], a[href]') ?? [])];
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  };
  const show = (last = false) => {
    setError(null);
    setFocusLast(last);
    setOpen(true);
    if (wanted) replies.reload();
    else setWanted(true);
  };

  // Focus goes into the menu once its items are there.
  const count = list.length;
  const loaded = replies.data !== null;
  useEffect(() => {
    if (!open) return;
    const all = items();
    (focusLast ? all.at(-1) : all[0])?.focus();
  }, [open, loaded, count, focusLast]);

  // A click anywhere else closes it.
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (!wrapRef.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);

  const pick = async (reply: SavedReply) => {
    if (busy) return;
    const rendered = await run(() => post<RenderedReply>(`/conversations/${conversationId}/saved-replies/${reply.id}/render`));
    if (rendered) {
      setOpen(false);
      onPick(rendered);
    }
  };

  const onMenuKey = (e: KeyboardEvent<HTMLElement>) => {
    const all = items();
    const i = all.indexOf(document.activeElement as HTMLElement);
    const move = (to: number) => {
      e.preventDefault();
      all[(to + all.length) % all.length]?.focus();
    };
    if (e.key === 'ArrowDown') move(i + 1);
    else if (e.key === 'ArrowUp') move(i - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(all.length - 1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    } else if (e.key === 'Tab') setOpen(false);
  };

  const onButtonKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      show(e.key === 'ArrowUp');
    }
  };

  return (
    <div className="menu-wrap" ref={wrapRef}>
      <button
        type="button"
        ref={buttonRef}
        className="btn btn-quiet"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls="saved-replies-menu"
        disabled={disabled}
        onClick={() => (open ? close(false) : show())}
        onKeyDown={onButtonKey}
      >
        Saved replies
      </button>
      {open ? (
        <div className="menu menu-up saved-replies-menu" id="saved-replies-menu" ref={popupRef} onKeyDown={onMenuKey}>
          <p className="menu-title" id="saved-replies-title">
            Insert a saved reply
          </p>
          <ErrorAlert message={error ?? replies.error} />
          {!replies.data ? (
            <p className="muted small pad-s" role="status">
              Loading saved replies…
            </p>
          ) : list.length === 0 ? (
            <div className="pad-s">
              <p className="small">No saved replies yet. They are texts your team sends often, with the contact's name filled in.</p>
              <p className="small">
                {canManage ? (
                  <Link to="/settings/saved-replies">Add one in Settings → Saved replies</Link>
                ) : (
                  <>
                    An owner or admin can add them in <Link to="/settings/saved-replies">Settings → Saved replies</Link>.
                  </>
                )}
              </p>
            </div>
          ) : (
            <ul className="plain-list saved-reply-items" role="menu" aria-labelledby="saved-replies-title" aria-busy={busy}>
              {list.map((r) => (
                <li key={r.id} role="none">
                  <button type="button" role="menuitem" tabIndex={-1} className="menu-item" aria-disabled={busy} onClick={() => void pick(r)}>
                    <span className="saved-reply-title">{r.title}</span>
                    <span className="muted small saved-reply-body">{r.body}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </div>
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
