// Get started: the newcomer's checklist, from real state. Business name, time zone and hours; the
// text-back message with a live preview; the demo phone (call the demo line, watch the text arrive,
// reply, try STOP); then connecting a real number.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { post, patch, put, type Account, type Call, type Carrier, type Conversation, type LiveEvent, type Line, type Message, type Template, type Weekday } from '../api.ts';
import { formatPhone, formatWhen } from '../format.ts';
import { useAction, useResource } from '../hooks.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { fullWeek, HoursEditor, timeZones, type WeekHours } from './settings/common.tsx';
import { MessageEditor, usePreview, type Preview } from './settings/Templates.tsx';
import { carrierName, checkCarrier, CheckResult, ConnectCarrierForm, describeCheck, type CheckSummary } from './ConnectCarrierForm.tsx';
import { measure } from '../sms.ts';
import { ErrorAlert, Field, fieldText, sentence } from '../ui/Field.tsx';

const DEFAULT_NAMES = new Set(['Demo Plumbing', 'My Business']);
const DEMO_NUMBER_KEY = 'ringback.demoCaller';
const FIRST_DEMO_CALLER = '+15555550123';

const touchesMessages = (e: LiveEvent) => e.type.startsWith('message.') || e.type === 'call.decided' || e.type === 'conversation.updated' || e.type === 'contact.updated';

export function GetStarted() {
  const { session } = useSession();
  const account = useResource<{ account: Account }>('/account');
  const templates = useResource<{ templates: Template[] }>('/templates');
  const lines = useResource<{ lines: Line[] }>('/lines');
  const carriers = useResource<{ carriers: Carrier[] }>('/carriers');

  const demoLine = useMemo(() => {
    const all = lines.data?.lines ?? [];
    return all.find((l) => l.number === '+15555550100') ?? all.find((l) => l.carrierKind === 'simulator') ?? null;
  }, [lines.data]);

  const calls = useResource<{ calls: Call[] }>(demoLine ? `/calls?lineId=${encodeURIComponent(demoLine.id)}&limit=1` : null, (e) => e.type === 'call.decided');
  const conversations = useResource<{ conversations: Conversation[] }>(demoLine ? `/conversations?lineId=${encodeURIComponent(demoLine.id)}&status=open,pending,snoozed,resolved&limit=100` : null, touchesMessages);

  const [demoCaller, setDemoCaller] = useState(() => localStorage.getItem(DEMO_NUMBER_KEY) ?? FIRST_DEMO_CALLER);
  const demoConversation = conversations.data?.conversations.find((c) => c.contact.number === demoCaller) ?? null;
  const demoMessages = useResource<{ messages: Message[] }>(demoConversation ? `/conversations/${demoConversation.id}/messages?limit=100` : null, touchesMessages);

  const tpl = templates.data?.templates.filter((t) => t.scope === 'account') ?? [];
  const times = tpl.map((t) => new Date(t.updatedAt).getTime());
  const templateSaved = times.length > 1 && Math.max(...times) - Math.min(...times) > 1000;
  const demoConvs = conversations.data?.conversations ?? [];

  const steps = [
    { id: 'business', label: 'Name your business', done: !!account.data && !DEFAULT_NAMES.has(account.data.account.name) },
    { id: 'message', label: 'Write your text-back message', done: templateSaved },
    { id: 'demo-phone', label: 'Call the demo line', done: (calls.data?.calls.length ?? 0) > 0 },
    { id: 'demo-phone', label: 'Reply from the demo phone', done: (demoMessages.data?.messages ?? []).some((m) => m.direction === 'inbound') || demoConvs.some((c) => c.lastMessage?.direction === 'inbound') },
    { id: 'demo-phone', label: 'Send STOP from the demo phone', done: demoConvs.some((c) => c.contact.optedOut) },
    { id: 'connect', label: 'Connect a real number', done: (carriers.data?.carriers ?? []).some((c) => c.kind !== 'simulator') },
  ];
  const doneCount = steps.filter((s) => s.done).length;

  return (
    <main id="main" className="page get-started">
      <div className="page-head">
        <h1>Get started</h1>
        <p className="lead-text">
          Six steps from a fresh install to texting back every missed call. {doneCount === steps.length ? 'All done. Nice work.' : `${doneCount} of ${steps.length} done.`}
        </p>
      </div>
      {session.role === 'agent' ? (
        <p className="alert alert-warn">You are signed in as an agent: you can try the demo phone, but only an owner or admin can change the business, the message or the carrier.</p>
      ) : null}
      <div className="progress" aria-hidden="true">
        <span style={{ width: `${(doneCount / steps.length) * 100}%` }} />
      </div>
      <ol className="checklist" role="list" aria-label="Checklist">
        {steps.map((s) => (
          <li key={s.label} className={s.done ? 'done' : ''}>
            <span className="check" aria-hidden="true">
              {s.done ? '✓' : ''}
            </span>
            <a href={`#${s.id}`}>{s.label}</a>
            <span className="check-state">{s.done ? 'Done' : 'Not done yet'}</span>
          </li>
        ))}
      </ol>

      {account.error ? <ErrorAlert message={account.error} /> : null}
      {account.data ? <BusinessSection account={account.data.account} onSaved={account.reload} /> : <p className="muted">Loading your business…</p>}
      {account.data && templates.data ? <MessageSection account={account.data.account} templates={tpl} onSaved={templates.reload} /> : null}
      <DemoPhoneSection
        line={demoLine}
        caller={demoCaller}
        conversation={demoConversation}
        latestCall={calls.data?.calls[0] ?? null}
        messages={demoMessages.data?.messages ?? []}
        onNewCaller={(n) => {
          localStorage.setItem(DEMO_NUMBER_KEY, n);
          setDemoCaller(n);
        }}
      />
      <ConnectSection carriers={carriers.data?.carriers ?? []} onConnected={carriers.reload} />
    </main>
  );
}

// ---------- Business: name, time zone, hours ----------


function BusinessSection({ account, onSaved }: { account: Account; onSaved: () => void }) {
  const { refresh } = useSession();
  const [name, setName] = useState(account.name);
  const [timeZone, setTimeZone] = useState(account.timeZone);
  const [hours, setHours] = useState<WeekHours>(() => fullWeek(account.businessHours));
  const [saved, setSaved] = useState(false);
  const { busy, error, fields, run } = useAction();
  const zones = useMemo(() => timeZones(account.timeZone), [account.timeZone]);
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const changeHours = (next: WeekHours) => {
    setSaved(false);
    setHours(next);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // A day with several opening windows keeps the later ones; the editor changes the first.
    const businessHours: Account['businessHours'] = hours;
    const ok = await run(() => patch('/account', { name: name.trim(), timeZone, businessHours }));
    if (ok !== undefined) {
      setSaved(true);
      onSaved();
      void refresh();
    }
  };

  const hoursError = Object.entries(fields).find(([k]) => k.startsWith('businessHours'))?.[1];

  return (
    <section className="card step" id="business" aria-labelledby="business-h">
      <h2 id="business-h">
        <span className="step-no" aria-hidden="true">1</span> Your business
      </h2>
      <p className="muted">Your business name goes into every text. Time zone and hours decide which message a caller gets.</p>
      <form onSubmit={submit} noValidate>
        <ErrorAlert message={error} />
        <div className="grid-2">
          <Field label="Business name" error={fieldText('Business name', fields.name)}>
            {(p) => <input {...p} autoComplete="organization" required maxLength={100} value={name} onChange={(e) => { setName(e.target.value); setSaved(false); }} />}
          </Field>
          <Field
            label="Time zone"
            error={fieldText('Time zone', fields.timeZone)}
            hint={
              browserZone && browserZone !== timeZone ? (
                <button type="button" className="btn-link" onClick={() => { setTimeZone(browserZone); setSaved(false); }}>
                  Use this device's time zone ({browserZone})
                </button>
              ) : undefined
            }
          >
            {(p) => (
              <select {...p} value={timeZone} onChange={(e) => { setTimeZone(e.target.value); setSaved(false); }}>
                {zones.map((z) => (
                  <option key={z} value={z}>
                    {z.replace(/_/g, ' ')}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <HoursEditor legend="Business hours" value={hours} onChange={changeHours} error={hoursError} />
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save business'}
          </button>
          {saved ? (
            <span className="saved" role="status">
              Saved.
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}

// ---------- The text-back message ----------

const SLOTS: Array<[string, string]> = [
  ['open', 'During business hours'],
  ['after_hours', 'After hours'],
  ['weekend', 'At the weekend'],
  ['holiday', 'On holidays'],
];

/** The slot a call would get right now (holidays aside), from the account's zone and hours. */
function slotNow(account: Account): string {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: account.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date());
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
    const day = get('weekday').toLowerCase().slice(0, 3) as Weekday;
    const hm = `${get('hour')}:${get('minute')}`;
    const open = (account.businessHours[day] ?? []).some(([from, to]) => hm >= from && hm < to);
    if (open) return 'open';
    return day === 'sat' || day === 'sun' ? 'weekend' : 'after_hours';
  } catch {
    return 'open';
  }
}

function localPreview(body: string, account: Account): Preview {
  const text = body
    .replace(/\{\{\s*business_name\s*\}\}/g, account.name)
    .replace(/\{\{\s*first_name\s*\}\}/g, 'there')
    .replace(/\{\{\s*callback_window\s*\}\}/g, 'within 2 hours')
    .replace(/\{\{\s*booking_url\s*\}\}/g, 'https://example.com/book');
  const m = measure(text);
  return { text, characters: m.characters, encoding: m.encoding, segments: m.segments, errors: [] };
}

function MessageSection({ account, templates, onSaved }: { account: Account; templates: Template[]; onSaved: () => void }) {
  const nowSlot = useMemo(() => slotNow(account), [account]);
  const [slot, setSlot] = useState(nowSlot);
  const current = templates.find((t) => t.slot === slot);
  const [body, setBody] = useState(current?.body ?? '');
  const [dirty, setDirty] = useState(false);
  const [saved, setSaved] = useState(false);
  const renderLocally = useCallback((b: string) => localPreview(b, account), [account]);
  const preview = usePreview(body, { slot, local: renderLocally });
  const { busy, error, fields, run } = useAction();

  // A different slot, or the saved templates changed: show the stored text unless it is being edited.
  useEffect(() => {
    if (!dirty) setBody(current?.body ?? '');
  }, [current?.body, dirty]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await run(() => put(`/templates/text-back/${slot}`, { body }));
    if (ok !== undefined) {
      setDirty(false);
      setSaved(true);
      onSaved();
    }
  };

  return (
    <section className="card step" id="message" aria-labelledby="message-h">
      <h2 id="message-h">
        <span className="step-no" aria-hidden="true">2</span> Your text-back message
      </h2>
      <p className="muted">
        What a caller gets when you miss them. <code>{'{{business_name}}'}</code>, <code>{'{{first_name}}'}</code> and <code>{'{{callback_window}}'}</code> are filled in for
        each caller. Keep “Reply STOP to opt out.”
      </p>
      <form onSubmit={submit} noValidate>
        <ErrorAlert message={error} />
        <Field label="Which message" hint={slot === nowSlot ? 'This is the one a caller would get right now.' : undefined}>
          {(p) => (
            <select {...p} value={slot} onChange={(e) => { setSlot(e.target.value); setDirty(false); setSaved(false); }}>
              {SLOTS.map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                  {v === nowSlot ? ' (now)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
        <MessageEditor label="Text-back message" rows={6} value={body} onChange={(b) => { setBody(b); setDirty(true); setSaved(false); }} preview={preview} error={fieldText('Message', fields.body)} previewLabel="Preview" />
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save message'}
          </button>
          {saved ? (
            <span className="saved" role="status">
              Saved. The next missed call gets this text.
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}

// ---------- The demo phone ----------

interface PhoneMessage {
  id: string;
  from: string;
  to: string;
  body: string;
  receivedAt: string;
}

function nextDemoNumber(n: string): string {
  const m = /^\+1555555(\d{4})$/.exec(n);
  const next = m ? Math.min(9999, Number(m[1]) + 1) : 124;
  return `+1555555${String(next).padStart(4, '0')}`;
}

function DemoPhoneSection({ line, caller, conversation, latestCall, messages, onNewCaller }: { line: Line | null; caller: string; conversation: Conversation | null; latestCall: Call | null; messages: Message[]; onNewCaller: (n: string) => void }) {
  const phone = useResource<{ messages: PhoneMessage[] }>(`/simulator/phones/${encodeURIComponent(caller)}/messages`, (e) => e.type.startsWith('message.') || e.type === 'call.decided');
  const [reply, setReply] = useState('');
  const [calling, setCalling] = useState<string | null>(null);
  const call = useAction();
  const send = useAction();
  const received = phone.data?.messages ?? [];
  const logRef = useRef<HTMLDivElement>(null);
  const shown = received.length + messages.filter((m) => m.direction === 'inbound').length;
  // Newest last, and in view, like a phone.
  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [shown]);

  // After the call: poll quietly until the text arrives (live events do it too; this is the backstop).
  useEffect(() => {
    if (!calling) return;
    const t = setInterval(phone.reload, 1500);
    const stop = setTimeout(() => setCalling(null), 45_000);
    return () => {
      clearInterval(t);
      clearTimeout(stop);
    };
  }, [calling, phone.reload]);
  const [outcome, setOutcome] = useState<string | null>(null);
  useEffect(() => {
    if (!calling) return;
    if (received.some((m) => m.receivedAt > calling)) {
      setCalling(null);
      setOutcome(null);
    } else if (latestCall && latestCall.startedAt >= calling.slice(0, 19) && latestCall.decision && latestCall.decision.action !== 'send') {
      // Not texted (e.g. this caller was texted in the last 24 hours, or opted out): say why.
      setCalling(null);
      setOutcome(latestCall.decision.explanation);
    }
  }, [received, calling, latestCall]);

  if (!line) {
    return (
      <section className="card step" id="demo-phone" aria-label="Demo phone">
        <h2>
          <span className="step-no" aria-hidden="true">3</span> Try it with the demo phone
        </h2>
        <p>This install has no simulator line to try. Start Ringback with RINGBACK_DEMO=true on a fresh data directory to get the demo line, or skip to connecting a real number.</p>
      </section>
    );
  }

  const placeCall = async () => {
    const at = new Date().toISOString();
    setOutcome(null);
    const ok = await call.run(() => post('/simulator/calls', { from: caller, to: line.number, outcome: 'unanswered' }));
    if (ok !== undefined) setCalling(at);
  };
  const sendReply = async (e: FormEvent) => {
    e.preventDefault();
    if (!reply.trim()) return;
    const ok = await send.run(() => post('/simulator/messages', { from: caller, to: line.number, body: reply }));
    if (ok !== undefined) {
      setReply('');
      phone.reload();
    }
  };
  const optedOut = conversation?.contact.optedOut ?? false;
  const inbound = messages.filter((m) => m.direction === 'inbound');

  return (
    <section className="card step" id="demo-phone" aria-label="Demo phone">
      <h2>
        <span className="step-no" aria-hidden="true">3</span> Try it with the demo phone
      </h2>
      <p className="muted">
        A pretend customer at <strong>{formatPhone(caller)}</strong> calls your demo line <strong>{formatPhone(line.number)}</strong> and nobody picks up. Watch the text-back arrive here and in your
        inbox at the same moment.
      </p>
      <div className="demo-grid">
        <div className="phone" >
          <div className="phone-top">
            <span className="phone-title">Demo phone · {formatPhone(caller)}</span>
          </div>
          <div className="phone-screen">
            <div className="phone-log" role="log" aria-label="Texts on the demo phone" aria-live="polite" tabIndex={0} ref={logRef}>
              {received.length === 0 ? <p className="phone-empty">No texts yet. Call the demo line and let it ring out.</p> : null}
              {[
                ...received.map((m) => ({ id: m.id, at: m.receivedAt, mine: false, body: m.body, who: formatPhone(m.from) })),
                ...inbound.map((m) => ({ id: m.id, at: m.createdAt, mine: true, body: m.body, who: 'You' })),
              ]
                .sort((x, y) => x.at.localeCompare(y.at))
                .map((m) => (
                  <div key={m.id} className={`bubble ${m.mine ? 'bubble-out' : 'bubble-in'}`}>
                    <span className="bubble-meta">
                      {m.mine ? 'You sent' : `From ${m.who}`} · {formatWhen(m.at)}
                    </span>
                    {m.body}
                  </div>
                ))}
            </div>
            <div role="status">
              {calling ? <p className="phone-status">Calling {formatPhone(line.number)}… nobody answers, so Ringback texts back.</p> : null}
              {outcome ? <p className="phone-status phone-status-skip">The call was missed. {outcome}</p> : null}
            </div>
          </div>
          <div className="phone-actions">
            <ErrorAlert message={call.error} />
            <button type="button" className="btn btn-call btn-block" onClick={() => void placeCall()} disabled={call.busy || !!calling}>
              {call.busy || calling ? 'Calling…' : 'Call the demo line'}
            </button>
            <form onSubmit={sendReply} className="reply-form" noValidate>
              <ErrorAlert message={send.error} />
              <Field label="Reply from the demo phone" hint={optedOut ? 'This number has opted out: the business can no longer text it.' : received.length ? 'Try a question, then try STOP.' : undefined}>
                {(p) => <input {...p} value={reply} onChange={(e) => setReply(e.target.value)} placeholder="e.g. Can you come Tuesday?" />}
              </Field>
              <div className="reply-buttons">
                <button type="submit" className="btn btn-primary" disabled={send.busy || !reply.trim()}>
                  Send reply
                </button>
                {received.length > 0 && !optedOut ? (
                  <button type="button" className="btn btn-quiet" onClick={() => setReply('STOP')}>
                    Try STOP
                  </button>
                ) : null}
              </div>
            </form>
          </div>
        </div>
        <div className="demo-side">
          <h3>In your inbox</h3>
          {conversation ? (
            <div className="demo-conv">
              <p>
                <Link to={`/inbox/${conversation.id}`} className="strong-link">
                  {formatPhone(conversation.contact.number)}
                </Link>{' '}
                {conversation.unreadCount ? <span className="badge">{conversation.unreadCount} unread</span> : null}
                {optedOut ? <span className="badge badge-warn">Opted out</span> : null}
              </p>
              {conversation.lastMessage ? (
                <p className="muted">
                  {conversation.lastMessage.direction === 'inbound' ? 'They wrote: ' : 'You texted: '}“{conversation.lastMessage.preview}”
                </p>
              ) : null}
              <p className="small">Open it to answer from the inbox: your reply lands on the demo phone.</p>
            </div>
          ) : (
            <p className="muted">The conversation appears here and in the Inbox as soon as the text-back goes out.</p>
          )}
          <h3>What to try</h3>
          <ol className="try-list">
            <li>Call the demo line. The text-back arrives in a few seconds.</li>
            <li>Reply from the demo phone. It shows up in the inbox at once.</li>
            <li>Send STOP. The demo phone gets the opt-out confirmation and Ringback never texts this number again.</li>
          </ol>
          {optedOut ? (
            <p>
              <button type="button" className="btn btn-quiet" onClick={() => onNewCaller(nextDemoNumber(caller))}>
                Use a new demo caller
              </button>
            </p>
          ) : null}
        </div>
      </div>
    </section>
  );
}

// ---------- Connect a real number ----------

const NO_LINES_NEXT = 'Next: add a line for one of your numbers (Settings → Lines and carriers) so its calls come through Ringback.';

function ConnectSection({ carriers, onConnected }: { carriers: Carrier[]; onConnected: () => void }) {
  const [result, setResult] = useState<CheckSummary | null>(null);
  const { busy, error, run } = useAction();
  const real = carriers.filter((c) => c.kind !== 'simulator');

  const recheck = async (c: Carrier) => {
    setResult(null);
    const res = await run(async () => describeCheck(carrierName(c), await checkCarrier(c.id), { connected: true, noLines: NO_LINES_NEXT }));
    if (res) setResult(res);
  };

  return (
    <section className="card step" id="connect" aria-labelledby="connect-h">
      <h2 id="connect-h">
        <span className="step-no" aria-hidden="true">4</span> Connect a real number
      </h2>
      <p className="muted">When the demo makes sense, connect your Twilio or Telnyx account. Ringback checks the credentials with the carrier before it stores them, encrypted.</p>
      {real.length ? (
        <>
          <ul className="plain-list">
            {real.map((c) => (
              <li key={c.id}>
                <strong>{carrierName(c)}</strong> <span className="muted">({c.kind}, connected {formatWhen(c.createdAt)})</span>{' '}
                <button type="button" className="btn btn-quiet btn-small" onClick={() => void recheck(c)} disabled={busy}>
                  Check {carrierName(c)} again
                </button>
              </li>
            ))}
          </ul>
          <div role="status" className="connect-status">
            {busy ? <p>Asking the carrier…</p> : null}
            {error ? <p className="result-bad">{sentence(error)}</p> : null}
            <CheckResult result={result} />
          </div>
        </>
      ) : null}
      <ConnectCarrierForm onConnected={onConnected} noLines={NO_LINES_NEXT} />
    </section>
  );
}
