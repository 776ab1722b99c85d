// Settings → Team and notifications: the members, an invitation (with the link to pass on when it
// could not be emailed), and each member's phone and alert preferences. Everyone may change their
// own; owners and admins change the others'.
import { useState, type FormEvent } from 'react';
import { patch, post, type Role } from '../../api.ts';
import { formatPhone } from '../../format.ts';
import { useAction } from '../../hooks.ts';
import { useSession } from '../../session.tsx';
import { ErrorAlert, Field, fieldText } from '../../ui/Field.tsx';
import { fieldError, SaveBar, SettingsCard, useCanEdit } from './common.tsx';

const EVENTS: Array<[string, string]> = [
  ['message.received', 'A customer replies'],
  ['call.missed', 'A call is missed'],
  ['task.reminder', 'A callback is coming due'],
  ['task.overdue', 'A callback is overdue'],
  ['emergency', 'An emergency word in a reply'],
];

export interface AlertPrefs {
  sms: boolean;
  email: boolean;
  events: string[];
  onCall: boolean;
  quietHours: { start: string; end: string } | null;
  duringQuietHours: 'hold' | 'digest';
  digest: 'off' | 'hourly' | 'daily';
}
export interface TeamMember {
  userId: string;
  name: string | null;
  email: string;
  role: Role;
  phone: string | null;
  alertPrefs: AlertPrefs;
  createdAt: string;
}

const ROLE_NAMES: Record<Role, string> = { owner: 'Owner', admin: 'Admin', agent: 'Agent' };

function MemberCard({ member, onSaved }: { member: TeamMember; onSaved: () => void }) {
  const { session } = useSession();
  const mine = member.userId === session.user.id;
  const canEdit = mine || (session.role === 'owner' || (session.role === 'admin' && member.role !== 'owner'));
  const [open, setOpen] = useState(false);
  const [phone, setPhone] = useState(member.phone ?? '');
  const [prefs, setPrefs] = useState<AlertPrefs>(member.alertPrefs);
  const [saved, setSaved] = useState(false);
  const { busy, error, fields, run } = useAction();
  const who = member.name || member.email;
  const set = (change: Partial<AlertPrefs>) => {
    setSaved(false);
    setPrefs((p) => ({ ...p, ...change }));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await run(() => patch(`/team/${member.userId}`, { phone: phone.trim() || null, alertPrefs: prefs }));
    if (ok !== undefined) {
      setSaved(true);
      onSaved();
    }
  };
  const p = member.alertPrefs;
  const summary = [p.sms ? 'text' : null, p.email ? 'email' : null].filter(Boolean).join(' and ') || 'no alerts';
  const formId = `member-${member.userId}`;
  return (
    <li className="card member">
      <div className="member-head">
        <div>
          <p className="member-name">
            {who} {mine ? <span className="muted small">(you)</span> : null}
          </p>
          <p className="muted small">
            {member.email} · <span className="badge">{ROLE_NAMES[member.role]}</span> · {member.phone ? formatPhone(member.phone) : 'no phone'} · alerts by {summary}
            {p.onCall ? ' · on call' : ''}
          </p>
        </div>
        <button type="button" className="btn btn-quiet btn-small" aria-expanded={open} aria-controls={formId} onClick={() => setOpen((o) => !o)}>
          {open ? 'Close' : canEdit ? `Alerts for ${who}` : `See alerts for ${who}`}
        </button>
      </div>
      {open ? (
        <form id={formId} onSubmit={submit} noValidate className="member-form">
          <fieldset className="plain-fieldset" disabled={!canEdit}>
            <legend className="sr-only">Phone and alerts for {who}</legend>
            <ErrorAlert message={error} />
            <Field label="Phone for alerts" hint="A mobile number, e.g. +1 555 555 0199." error={fieldText('Phone', fields.phone)}>
              {(pp) => <input {...pp} type="tel" autoComplete="tel" value={phone} onChange={(e) => { setPhone(e.target.value); setSaved(false); }} />}
            </Field>
            <fieldset className="plain-fieldset">
              <legend>Send alerts by</legend>
              <label className="checkbox">
                <input type="checkbox" checked={prefs.sms} onChange={(e) => set({ sms: e.target.checked })} /> Text message
              </label>{' '}
              <label className="checkbox">
                <input type="checkbox" checked={prefs.email} onChange={(e) => set({ email: e.target.checked })} /> Email
              </label>
              {fields['alertPrefs.sms'] || fields['alertPrefs.email'] ? <p className="field-error">{fields['alertPrefs.sms'] ?? fields['alertPrefs.email']}</p> : null}
            </fieldset>
            <fieldset className="plain-fieldset">
              <legend>Alert me when</legend>
              {EVENTS.map(([id, label]) => (
                <label className="checkbox block-check" key={id}>
                  <input type="checkbox" checked={prefs.events.includes(id)} onChange={(e) => set({ events: e.target.checked ? [...prefs.events, id] : prefs.events.filter((x) => x !== id) })} /> {label}
                </label>
              ))}
              {fieldError(fields, 'alertPrefs.events') ? <p className="field-error">{fieldError(fields, 'alertPrefs.events')}</p> : null}
            </fieldset>
            <label className="checkbox block-check">
              <input type="checkbox" checked={prefs.onCall} onChange={(e) => set({ onCall: e.target.checked })} /> On call: paged for emergencies at any hour, on every channel
            </label>
            <fieldset className="plain-fieldset">
              <legend>Quiet hours</legend>
              <label className="checkbox block-check">
                <input type="checkbox" checked={prefs.quietHours !== null} onChange={(e) => set({ quietHours: e.target.checked ? { start: '21:00', end: '07:00' } : null })} /> No alerts at night (emergencies still come when on call)
              </label>
              {prefs.quietHours ? (
                <div className="grid-2">
                  <Field label="Quiet from" error={fieldError(fields, 'alertPrefs.quietHours')}>
                    {(pp) => <input {...pp} type="time" value={prefs.quietHours?.start ?? ''} onChange={(e) => set({ quietHours: { start: e.target.value, end: prefs.quietHours?.end ?? '07:00' } })} />}
                  </Field>
                  <Field label="Quiet until">
                    {(pp) => <input {...pp} type="time" value={prefs.quietHours?.end ?? ''} onChange={(e) => set({ quietHours: { start: prefs.quietHours?.start ?? '21:00', end: e.target.value } })} />}
                  </Field>
                  <Field label="Alerts during quiet hours">
                    {(pp) => (
                      <select {...pp} value={prefs.duringQuietHours} onChange={(e) => set({ duringQuietHours: e.target.value as 'hold' | 'digest' })}>
                        <option value="hold">Hold each one until quiet hours end</option>
                        <option value="digest">Fold them into one digest</option>
                      </select>
                    )}
                  </Field>
                </div>
              ) : null}
            </fieldset>
            <Field label="Digest" hint="Fold every alert except emergencies into one message." error={fieldError(fields, 'alertPrefs.digest')}>
              {(pp) => (
                <select {...pp} value={prefs.digest} onChange={(e) => set({ digest: e.target.value as AlertPrefs['digest'] })}>
                  <option value="off">Off: each alert as it happens</option>
                  <option value="hourly">Hourly</option>
                  <option value="daily">Daily, at 08:00</option>
                </select>
              )}
            </Field>
            {fieldError(fields, 'alertPrefs') && !Object.keys(fields).some((k) => k.startsWith('alertPrefs.')) ? <p className="field-error">{fieldError(fields, 'alertPrefs')}</p> : null}
            {canEdit ? <SaveBar busy={busy} saved={saved} label={`Save alerts for ${who}`} /> : null}
          </fieldset>
        </form>
      ) : null}
    </li>
  );
}

function InviteForm({ onInvited }: { onInvited: () => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<'admin' | 'agent'>('agent');
  const [result, setResult] = useState<{ who: string; url: string | null; emailed: boolean } | null>(null);
  const { busy, error, fields, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setResult(null);
    const res = await run(() => post<{ inviteUrl?: string; invitation: { emailed: boolean } | null }>('/team', { email: email.trim(), name: name.trim(), role }));
    if (res) {
      setResult({ who: name.trim() || email.trim(), url: res.inviteUrl ?? null, emailed: res.invitation?.emailed ?? false });
      setEmail('');
      setName('');
      onInvited();
    }
  };
  return (
    <SettingsCard id="invite" title="Invite someone">
      <form onSubmit={submit} noValidate>
        <ErrorAlert message={error} />
        <div className="grid-2">
          <Field label="Their name" error={fieldText('Name', fields.name)}>
            {(p) => <input {...p} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label="Their email" error={fieldText('Email', fields.email)}>
            {(p) => <input {...p} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <Field label="Role" hint="Agents answer customers; admins also change settings." error={fieldText('Role', fields.role)}>
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as 'admin' | 'agent')}>
                <option value="agent">Agent</option>
                <option value="admin">Admin</option>
              </select>
            )}
          </Field>
        </div>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Inviting…' : 'Send invitation'}
          </button>
        </div>
        <div role="status">
          {result ? (
            <div className="alert alert-ok">
              {result.url ? (
                <>
                  <p>
                    {result.who} is added. The invitation could not be emailed, so send them this link; they set their password there:
                  </p>
                  <p className="secret">
                    <code>{result.url}</code>
                  </p>
                </>
              ) : (
                <p>{result.who} is added and the invitation is on its way by email.</p>
              )}
            </div>
          ) : null}
        </div>
      </form>
    </SettingsCard>
  );
}

export function TeamSettings({ members, onChanged }: { members: TeamMember[]; onChanged: () => void }) {
  const canEdit = useCanEdit();
  return (
    <div className="settings-stack">
      <SettingsCard id="members" title="Members" intro="Everyone can set their own phone and alerts. Owners and admins set them for others.">
        <ul className="plain-list member-list">
          {members.map((m) => (
            <MemberCard key={m.userId} member={m} onSaved={onChanged} />
          ))}
        </ul>
      </SettingsCard>
      {canEdit ? <InviteForm onInvited={onChanged} /> : null}
    </div>
  );
}
