// Settings → Business: name, time zone, hours, holidays, average job value, booking link, help contact.
import { useMemo, useState, type FormEvent } from 'react';
import { patch } from '../../api.ts';
import { useAction } from '../../hooks.ts';
import { AddBusinessCard } from '../../AccountSwitcher.tsx';
import { useSession } from '../../session.tsx';
import { ErrorAlert, Field, fieldText } from '../../ui/Field.tsx';
import { fieldError, fullWeek, HoursEditor, SaveBar, SettingsCard, timeZones, useCanEdit, type WeekHours } from './common.tsx';
import type { AccountSettings } from './types.ts';

function formatDate(iso: string): string {
  const d = new Date(`${iso}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(d);
}

export function BusinessSettings({ account, onSaved }: { account: AccountSettings; onSaved: () => void }) {
  const { refresh } = useSession();
  const canEdit = useCanEdit();
  const [name, setName] = useState(account.name);
  const [timeZone, setTimeZone] = useState(account.timeZone);
  const [hours, setHours] = useState<WeekHours>(() => fullWeek(account.businessHours));
  const [holidays, setHolidays] = useState<string[]>(() => [...(account.holidays ?? [])].sort());
  const [newHoliday, setNewHoliday] = useState('');
  const [jobValue, setJobValue] = useState(String(Math.round((account.averageJobValueCents ?? 0) / 100)));
  const [bookingUrl, setBookingUrl] = useState(account.bookingUrl ?? '');
  const [helpContact, setHelpContact] = useState(account.helpContact ?? '');
  const [saved, setSaved] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const { busy, error, fields, run } = useAction();
  const zones = useMemo(() => timeZones(account.timeZone), [account.timeZone]);
  const touch = () => setSaved(false);

  const addHoliday = () => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(newHoliday)) {
      setLocalError('Pick a date to add.');
      return;
    }
    setLocalError(null);
    setHolidays((h) => [...new Set([...h, newHoliday])].sort());
    setNewHoliday('');
    touch();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const dollars = Number(jobValue.replace(/[$,\s]/g, '') || '0');
    const ok = await run(() =>
      patch('/account', {
        name: name.trim(),
        timeZone,
        businessHours: hours,
        holidays,
        averageJobValueCents: Number.isFinite(dollars) ? Math.round(dollars * 100) : -1,
        bookingUrl: bookingUrl.trim() || null,
        helpContact: helpContact.trim() || null,
      }),
    );
    if (ok !== undefined) {
      setSaved(true);
      onSaved();
      void refresh();
    }
  };

  return (
    <>
    <SettingsCard id="business" title="Business" intro="Your business name goes into every text. Time zone, hours and holidays decide which message a caller gets.">
      <form onSubmit={submit} noValidate>
        <fieldset className="plain-fieldset" disabled={!canEdit}>
          <legend className="sr-only">Business</legend>
          <ErrorAlert message={error} />
          <div className="grid-2">
            <Field label="Business name" error={fieldText('Business name', fields.name)}>
              {(p) => <input {...p} autoComplete="organization" required maxLength={100} value={name} onChange={(e) => { setName(e.target.value); touch(); }} />}
            </Field>
            <Field label="Time zone" error={fieldText('Time zone', fields.timeZone)}>
              {(p) => (
                <select {...p} value={timeZone} onChange={(e) => { setTimeZone(e.target.value); touch(); }}>
                  {zones.map((z) => (
                    <option key={z} value={z}>
                      {z.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <HoursEditor legend="Business hours" value={hours} onChange={(h) => { setHours(h); touch(); }} error={fieldError(fields, 'businessHours')} />

          <fieldset className="plain-fieldset holidays">
            <legend>Holidays</legend>
            <p className="hint">On these dates callers get the holiday message, all day.</p>
            {fieldError(fields, 'holidays') ? <p className="field-error">Holidays {fieldError(fields, 'holidays')}</p> : null}
            {holidays.length ? (
              <ul className="chip-list">
                {holidays.map((d) => (
                  <li key={d} className="chip">
                    <span>{formatDate(d)}</span>
                    <button type="button" className="btn btn-quiet btn-small" aria-label={`Remove holiday ${formatDate(d)}`} onClick={() => { setHolidays((h) => h.filter((x) => x !== d)); touch(); }}>
                      Remove
                    </button>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted small">No holidays yet.</p>
            )}
            <div className="inline-add">
              <Field label="Add a holiday" error={localError ?? undefined}>
                {(p) => <input {...p} type="date" value={newHoliday} onChange={(e) => setNewHoliday(e.target.value)} />}
              </Field>
              <button type="button" className="btn btn-quiet" onClick={addHoliday}>
                Add date
              </button>
            </div>
          </fieldset>

          <div className="grid-2">
            <Field label="Average job value (USD)" hint="Used to show the money recovered from missed calls." error={fieldText('Average job value', fields.averageJobValueCents)}>
              {(p) => <input {...p} inputMode="decimal" value={jobValue} onChange={(e) => { setJobValue(e.target.value); touch(); }} />}
            </Field>
            <Field label="Booking link" hint="Optional. Templates can use {{booking_link}}." error={fieldText('Booking link', fields.bookingUrl)}>
              {(p) => <input {...p} type="url" inputMode="url" placeholder="https://" value={bookingUrl} onChange={(e) => { setBookingUrl(e.target.value); touch(); }} />}
            </Field>
            <Field label="Help contact" hint="How a customer reaches a person, e.g. a phone number or email. Sent in reply to HELP." error={fieldText('Help contact', fields.helpContact)}>
              {(p) => <input {...p} value={helpContact} onChange={(e) => { setHelpContact(e.target.value); touch(); }} />}
            </Field>
          </div>
          {canEdit ? <SaveBar busy={busy} saved={saved} label="Save business" /> : null}
        </fieldset>
      </form>
    </SettingsCard>
    <AddBusinessCard />
    </>
  );
}
